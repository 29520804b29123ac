// `hupbench profile capture --rig R`: a profile written from a running board, reached over SSH (a
// bench board at its rig file's address; a QEMU board kept up by `hupbench run --keep`, or any board
// named with --ssh HOST:PORT). `hupbench profile check FILE --rig R`: is the profile valid and
// buildable on the rig (the refusals `run --profile` makes), without starting anything.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { deviceKeyPath } from '../../images/lib/keys.ts';
import { requireOk } from '../command-result.ts';
import { captureProfile } from '../profile/capture.ts';
import { createRig } from '../rig/create-rig.ts';
import type { RigConfig } from '../rig/rig-config.ts';
import { DeviceSsh, type SshEndpoint } from '../ssh/ssh-client.ts';
import { cacheDir } from '../../images/lib/cache.ts';
import { keptBoard } from './kept-board.ts';
import { profileForRig } from './profile-plan.ts';
import { requireRig } from './known.ts';
import { UsageError } from './usage-error.ts';

async function endpointFor(config: RigConfig, ssh: string | undefined): Promise<SshEndpoint> {
  if (ssh) {
    const m = ssh.match(/^([^:]+):(\d+)$/);
    if (!m) throw new UsageError(`--ssh ${ssh}: give HOST:PORT (as hupbench run --keep prints it)`);
    return { host: m[1]!, port: Number(m[2]), username: 'root', privateKeyPath: deviceKeyPath };
  }
  if (config.kind === 'bench')
    return createRig(config, path.join(cacheDir, 'rigs', `${config.name}-capture`)).sshEndpoint();
  const kept = await keptBoard(config.name);
  if (!kept)
    throw new UsageError(
      `No running board on ${config.name} to capture: start one with \`hupbench run --rig ${config.name} --from V --to V --keep\` (or --profile FILE --keep), or name one with --ssh HOST:PORT.`,
    );
  return kept;
}

export async function profileCapture(opts: {
  rig?: string;
  ssh?: string;
  out?: string;
  name?: string;
}): Promise<number> {
  const config = await requireRig(opts.rig);
  const endpoint = await endpointFor(config, opts.ssh);
  const ssh = new DeviceSsh(endpoint);
  try {
    await ssh.waitReachable(30_000);
    const shell = {
      check: async (c: string, o?: { timeoutMs?: number }) => requireOk(await ssh.exec(c, o), config.name).stdout,
    };
    const name = opts.name ?? `captured-${config.name}`;
    const { profile, facts } = await captureProfile(shell, name);
    const text = `# Captured by hupbench profile capture --rig ${config.name} (${endpoint.host}:${endpoint.port}).\n# Link conditions and history cannot be read off a device: add them by hand.\n${stringify(profile)}`;
    if (opts.out) await writeFile(opts.out, text);
    else process.stdout.write(text);
    console.error(
      `${config.name}: captured ${profile.device.release} (${facts.dataFiles} files, ${(facts.dataBytes / 1e6).toFixed(1)} MB in resin-data)${opts.out ? ` into ${opts.out}` : ''}`,
    );
    return 0;
  } finally {
    await ssh.close();
  }
}

export async function profileCheck(file: string, opts: { rig?: string }): Promise<number> {
  const config = await requireRig(opts.rig);
  const { profile, source } = await profileForRig(file, config);
  console.log(`${file}: a valid profile of a ${source.version} ${profile.device.type} for ${config.name}`);
  return 0;
}
