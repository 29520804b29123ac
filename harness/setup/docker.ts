// Makes sure a Docker engine answers on /var/run/docker.sock: the registry container needs one.
// These machines have no init system, so when no daemon runs we start dockerd ourselves, detached, so
// it outlives the process that started it and later runs reuse it.
import { spawn } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';
import { cacheDir } from '../../images/lib/cache.ts';

export const dockerSocket = '/var/run/docker.sock';

export interface EnsureDockerOptions {
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** True when `docker info` gets an answer from the daemon. */
export async function dockerAnswers(): Promise<boolean> {
  const result = await $({ nothrow: true, quiet: true, timeout: '20s' })`docker info --format {{.ServerVersion}}`;
  return result.exitCode === 0;
}

export async function ensureDocker(options: EnsureDockerOptions = {}): Promise<void> {
  const { timeoutMs = 60_000, log = () => {} } = options;
  if (existsSync(dockerSocket) && (await dockerAnswers())) return;

  const dockerd = (await $({ nothrow: true, quiet: true })`command -v dockerd`).stdout.trim();
  if (!dockerd)
    throw new Error('No Docker daemon runs and dockerd is not installed: run `apt-get install -y docker.io`.');
  const logFile = path.join(cacheDir, 'dockerd.log');
  await mkdir(cacheDir, { recursive: true });
  const out = await open(logFile, 'a');
  // vfs: works on any filesystem, overlay-on-overlay is not given here; no iptables: no netfilter.
  const child = spawn(dockerd, ['--storage-driver=vfs', '--iptables=false'], {
    detached: true,
    stdio: ['ignore', out.fd, out.fd],
  });
  child.unref();
  await out.close();
  log(`started dockerd (pid ${child.pid}), log in ${logFile}`);

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`dockerd exited with code ${child.exitCode} right after start; see ${logFile}`);
    if (existsSync(dockerSocket) && (await dockerAnswers())) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `Waited ${timeoutMs / 1000}s for dockerd (pid ${child.pid}) to answer \`docker info\` on ${dockerSocket}; it did not. See ${logFile}.`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await ensureDocker({ log: console.log });
  console.log('docker daemon is up');
}
