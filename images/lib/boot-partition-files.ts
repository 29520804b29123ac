// A built card's resin-boot files, copied out of the image with mtools (no mount), without the files
// that are a device's own settings: what an update image carries to write onto a device's resin-boot.
import { $ } from 'zx';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { BuiltImage } from '../build.ts';

export async function copyBootPartitionFiles(image: BuiltImage, into: string, deviceOwned: string[]): Promise<void> {
  const boot = image.partitions.find((p) => p.label === 'resin-boot');
  if (!boot) throw new Error(`${image.path} has no resin-boot partition`);
  await mkdir(into, { recursive: true });
  await $`mcopy -s -n -i ${`${image.path}@@${boot.startBytes}`} ${'::*'} ${into}`;
  for (const f of deviceOwned) await rm(path.join(into, f), { recursive: true, force: true });
}
