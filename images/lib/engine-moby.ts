// Puts the moby engine (images/lib/engine.ts) into a root tree: Debian's packages unpacked without
// what the device never runs, and the mount points its init script needs on a read-only root.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { extract } from './debian-packages.ts';
import { mobyUnusedFiles } from './engine.ts';

export async function installMobyEngine(tree: string, debs: string[]): Promise<void> {
  await extract(debs, tree);
  for (const file of mobyUnusedFiles) await rm(path.join(tree, file), { recursive: true, force: true });
  // dockerd writes its key.json under /etc/docker (S50engine mounts a tmpfs there: the root is read-only).
  for (const dir of ['etc/docker', 'sys/fs/cgroup']) await mkdir(path.join(tree, dir), { recursive: true });
}
