// The SSH key the harness logs in with; generated once per checkout and baked into the images.
import { $ } from 'zx';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir, fileExists } from './cache.ts';

export interface DeviceKey {
  privateKeyPath: string;
  publicKey: string;
}

const keysDir = path.join(cacheDir, 'keys');
export const deviceKeyPath = path.join(keysDir, 'hupbench_ed25519');

export async function ensureDeviceKey(): Promise<DeviceKey> {
  if (!(await fileExists(deviceKeyPath))) await generateOnce();
  return { privateKeyPath: deviceKeyPath, publicKey: await readFile(`${deviceKeyPath}.pub`, 'utf8') };
}

/**
 * Makes the key pair in a folder of this process's own and renames the folder into place: the
 * rename fails when another process's pair got there first, and that pair is used. Two workers
 * started at once used to run ssh-keygen on the same path; the second one stopped at its
 * "Overwrite (y/n)?" prompt for good (fresh-clone CI: the Pi's first test hung there).
 */
async function generateOnce(): Promise<void> {
  const mine = `${keysDir}.${process.pid}.tmp`;
  await rm(mine, { recursive: true, force: true });
  await mkdir(mine, { recursive: true });
  try {
    await $`ssh-keygen -q -t ed25519 -N '' -C hupbench -f ${path.join(mine, path.basename(deviceKeyPath))} < /dev/null`;
    await rename(mine, keysDir).catch((e: NodeJS.ErrnoException) => {
      // Another process's pair is in place (a folder that is not empty cannot be renamed over).
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
    });
  } finally {
    await rm(mine, { recursive: true, force: true });
  }
  if (!(await fileExists(deviceKeyPath)))
    throw new Error(`${keysDir} exists but holds no ${path.basename(deviceKeyPath)}: remove the folder and run again`);
}
