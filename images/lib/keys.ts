// The SSH key the harness logs in with; generated once per checkout and baked into the images.
import { $ } from 'zx';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir, fileExists } from './cache.ts';

export interface DeviceKey {
  privateKeyPath: string;
  publicKey: string;
}

export const deviceKeyPath = path.join(cacheDir, 'keys', 'hupbench_ed25519');

export async function ensureDeviceKey(): Promise<DeviceKey> {
  if (!(await fileExists(deviceKeyPath))) {
    await mkdir(path.dirname(deviceKeyPath), { recursive: true });
    await $`ssh-keygen -q -t ed25519 -N '' -C hupbench -f ${deviceKeyPath}`;
  }
  return { privateKeyPath: deviceKeyPath, publicKey: await readFile(`${deviceKeyPath}.pub`, 'utf8') };
}
