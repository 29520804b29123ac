// The shell engine (images/rootfs-overlay/usr/bin/docker) names containers as Docker does: `ps -q`
// lists IDs, `ps --format` answers names, and an ID prefix works wherever a name does. Run on the
// host against a store in a temporary folder, with real processes standing in for the containers.
import { test, expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { projectRoot } from '../../harness/project-root.ts';

const engine = path.join(projectRoot, 'images/rootfs-overlay/usr/bin/docker');
const ids = { resin_supervisor: 'a'.repeat(8) + '1'.repeat(56), app: 'b'.repeat(8) + '2'.repeat(56) };

let dir: string;
const running: ChildProcess[] = [];

test.beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shell-engine-'));
  await mkdir(path.join(dir, 'run'));
  for (const [name, id] of Object.entries(ids)) {
    const c = path.join(dir, 'containers', name);
    await mkdir(c, { recursive: true });
    await writeFile(path.join(c, 'id'), `${id}\n`);
    await writeFile(path.join(c, 'ref'), `registry.local/${name}:v1\n`);
    await writeFile(path.join(c, 'volumes'), '');
    const proc = spawn('sleep', ['300'], { stdio: 'ignore' });
    running.push(proc);
    await writeFile(path.join(dir, 'run', `${name}.pid`), `${proc.pid}\n`);
  }
});

test.afterEach(async () => {
  for (const p of running.splice(0)) p.kill();
  await rm(dir, { recursive: true, force: true });
});

const docker = (...args: string[]) =>
  $({
    env: { ...process.env, DOCKER_ROOT: dir, DOCKER_RUN: path.join(dir, 'run') },
    nothrow: true,
  })`sh ${engine} ${args}`;

test('ps -q lists 12-digit IDs, ps --format the names and images', async () => {
  expect((await docker('ps', '-q')).stdout.split('\n').filter(Boolean).sort()).toEqual([
    'aaaaaaaa1111',
    'bbbbbbbb2222',
  ]);
  expect((await docker('ps', '--format', '{{.Names}}')).stdout.split('\n').filter(Boolean).sort()).toEqual([
    'app',
    'resin_supervisor',
  ]);
  expect((await docker('ps', '--format={{.ID}} {{.Names}} {{.Image}} {{.Status}}')).stdout).toContain(
    'aaaaaaaa1111 resin_supervisor registry.local/resin_supervisor:v1 running',
  );
});

test('a stopped container leaves ps, stays in ps -a, and an ID prefix stops it as a name does', async () => {
  const stop = await docker('stop', '-t', '1', 'bbbbbbbb');
  expect(stop.exitCode, stop.stderr).toBe(0);
  expect((await docker('ps', '--format', '{{.Names}}')).stdout.trim()).toBe('resin_supervisor');
  expect((await docker('ps', '-a', '--format', '{{.Names}} {{.Status}}')).stdout).toContain('app exited');
});

test('an unknown container or an unsupported ps option is refused, naming it', async () => {
  const missing = await docker('stop', 'cccccccc');
  expect(missing.exitCode).not.toBe(0);
  expect(missing.stderr).toContain('No such container: cccccccc');
  const option = await docker('ps', '--filter', 'name=app');
  expect(option.exitCode).not.toBe(0);
  expect(option.stderr).toContain('unsupported ps option --filter');
});
