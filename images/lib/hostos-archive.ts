// The hostOS image's single layer: the release's root filesystem tree as a tar.gz, read out of the
// built card's root A partition with debugfs (no loop mount). Cached next to the card it came from.
// The image also carries the release's boot partition files under /resin-boot/, as resinOS hostOS
// images do: the update writes them onto the device's resin-boot (on 1.x Raspberry Pi the kernel is one
// of them; on 2.x the boot script, its U-Boot environment and, on the Pi, U-Boot and the device trees).
// The files that are a device's own state (config.json, the boot settings) are left out.
import { $ } from 'zx';
import { mkdir, rm, rename } from 'node:fs/promises';
import path from 'node:path';
import type { BuiltImage } from '../build.ts';
import { copyBootPartitionFiles } from './boot-partition-files.ts';
import { cacheDir, fileExists } from './cache.ts';

const MiB = 1024 * 1024;

export async function hostOsArchive(image: BuiltImage): Promise<string> {
  const output = path.join(cacheDir, 'hostos', image.deviceType, image.version, `${image.hash}-boot.tar.gz`);
  if (await fileExists(output)) return output;
  const root = image.partitions.find((p) => p.label === 'resin-rootA' || p.label === 'resin-root');
  if (!root)
    throw new Error(
      `${image.path} has no root partition in its layout (${image.partitions.map((p) => p.label).join(', ')})`,
    );
  const work = path.join(cacheDir, 'work', `hostos-${image.deviceType}-${image.version}-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(path.join(work, 'tree'), { recursive: true });
  try {
    const fs = path.join(work, 'root.fs');
    await $`dd if=${image.path} of=${fs} bs=1M skip=${root.startBytes / MiB} count=${root.sizeBytes / MiB} conv=sparse status=none`;
    // rdump keeps owners and modes when run as root; rdump of / writes the tree into tree/.
    const dump = await $`debugfs -R ${`rdump / ${path.join(work, 'tree')}`} ${fs}`.nothrow();
    if (dump.exitCode !== 0)
      throw new Error(`debugfs could not dump ${image.path} partition ${root.number}: ${dump.stderr}`);
    await rm(path.join(work, 'tree/lost+found'), { recursive: true, force: true });
    await copyBootPartitionFiles(
      image,
      path.join(work, 'tree', 'resin-boot'),
      image.layout === '1.x' ? deviceOwnedBootFiles1x : deviceOwnedBootFiles2x,
    );
    await mkdir(path.dirname(output), { recursive: true });
    const partial = `${output}.${process.pid}.partial`;
    await $`tar --numeric-owner --sort=name -C ${path.join(work, 'tree')} -cf - . | gzip -n -6 > ${partial}`;
    await rename(partial, output);
    return output;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Settings a device keeps through a 1.x update: never in the image's /resin-boot/. */
const deviceOwnedBootFiles1x = ['config.json', 'uEnv.txt', 'cmdline.txt'];
/**
 * A 2.x device's own state on resin-boot: never in the image's /resin-boot/. (config.txt is in it: a
 * fresh card's is the release's; the updaters keep a device's own, as balenaOS's boot-files hook does.)
 */
const deviceOwnedBootFiles2x = ['config.json', 'resinOS_uEnv.txt', 'bootcount.env', 'system-connections'];
