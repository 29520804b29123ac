// A board left up by `hupbench run --keep`, remembered so other commands (`hupbench profile capture`)
// can reach it: its SSH endpoint in .cache/kept/<rig>.json, with the keeping process's id, so a file
// whose process has gone is known to be stale.
import { rmSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../../images/lib/cache.ts';
import type { Rig } from '../rig/rig.ts';
import type { SshEndpoint } from '../ssh/ssh-client.ts';

const keptFile = (rig: string) => path.join(cacheDir, 'kept', `${rig}.json`);

export async function rememberKeptBoard(rig: Rig): Promise<void> {
  const file = keptFile(rig.config.name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify({ pid: process.pid, endpoint: rig.sshEndpoint() }, null, 2));
  process.once('exit', () => rmSync(file, { force: true }));
}

export async function forgetKeptBoard(rig: string): Promise<void> {
  await rm(keptFile(rig), { force: true });
}

/** The endpoint of the board `hupbench run --keep` holds up on this rig, if its process still runs. */
export async function keptBoard(rig: string): Promise<SshEndpoint | undefined> {
  try {
    const kept = JSON.parse(await readFile(keptFile(rig), 'utf8')) as { pid: number; endpoint: SshEndpoint };
    process.kill(kept.pid, 0);
    return kept.endpoint;
  } catch {
    return undefined;
  }
}
