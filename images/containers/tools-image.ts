// The tools image upgrade-1.x-to-2.x.sh pulls: what a 1.x device lacks for the migration to a 2.x
// release, for one device type.
//   /hup-tools/bin/<tool>  zstd (compresses the resin-data backup) and sfdisk (reads the partition
//                          table): Debian's binaries with their own loader and libraries, so they
//                          run from wherever the updater unpacks the image (a tmpfs: the data
//                          partition is reformatted while they are in use)
//   /hup-tools/layout-2.x  the target card's partition table, one line per partition: number, start
//                          and size in 512-byte sectors, label (the migration writes it with sfdisk;
//                          resin-data and the extended partition run to the end of the device's card)
//   /resin-boot/           the target release's boot files (boot.scr, and on the Raspberry Pi its
//                          config.txt, U-Boot and dtb), from the target's own card image
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuiltImage } from '../build.ts';
import { deviceTypeProfile, type DeviceTypeProfile } from '../device-types.ts';
import { copyBootPartitionFiles } from '../lib/boot-partition-files.ts';
import { cacheDir, fileExists, hashInputs } from '../lib/cache.ts';
import { download, extract, resolveWithDependencies } from '../lib/debian-packages.ts';
import { registryTag } from '../lib/releases.ts';
import { cachedLayer, platformOf, type ContainerImage } from './container-images.ts';

/** Debian packages of the tools, and where each tool is inside them. */
const tools: Record<string, { package: string; path: string }> = {
  zstd: { package: 'zstd', path: 'usr/bin/zstd' },
  sfdisk: { package: 'fdisk', path: 'sbin/sfdisk' },
  // partx tells the kernel the new table partition by partition (BLKPG): sfdisk's whole-table re-read
  // fails while resin-boot and the running root are mounted.
  partx: { package: 'util-linux', path: 'usr/bin/partx' },
};
/** Taken without their dependencies: what the tools use of them is in the others' closure already. */
const withoutDependencies = ['util-linux'];

const loaders: Record<DeviceTypeProfile['arch'], { triplet: string; loader: string }> = {
  armhf: { triplet: 'arm-linux-gnueabihf', loader: 'ld-linux-armhf.so.3' },
  arm64: { triplet: 'aarch64-linux-gnu', loader: 'ld-linux-aarch64.so.1' },
};

/** Files of the target's resin-boot the migration does not take: the device keeps its own settings. */
const deviceOwnedBootFiles = ['config.json', 'resinOS_uEnv.txt', 'bootcount.env'];

export function toolsReference(targetVersion: string, deviceType: string): string {
  return `resin/resinhup-tools:${registryTag(targetVersion, deviceType)}`;
}

export async function toolsImage(target: BuiltImage): Promise<ContainerImage> {
  if (target.layout !== '2.x')
    throw new Error(
      `The tools image carries a 2.x release's boot files; ${target.version} has the ${target.layout} layout`,
    );
  const platform = platformOf(target.deviceType);
  return {
    reference: toolsReference(target.version, target.deviceType),
    layerPaths: [await toolsLayer(target)],
    config: {
      architecture: platform.architecture,
      variant: platform.variant,
      os: 'linux',
      config: {
        Cmd: ['/hup-tools/bin/zstd', '--version'],
        Env: [],
        Labels: { 'io.resin.hup.tools': Object.keys(tools).join(','), 'io.resin.os.version': target.version },
      },
    },
  };
}

async function toolsLayer(target: BuiltImage): Promise<string> {
  const profile = deviceTypeProfile(target.deviceType);
  const packages = [...new Set(Object.values(tools).map((t) => t.package))];
  const closure = await resolveWithDependencies(
    packages.filter((p) => !withoutDependencies.includes(p)),
    profile.arch,
  );
  const debs = await download(
    [...new Set([...closure, ...withoutDependencies.map((p) => `${p}:${profile.arch}`)])],
    profile.arch,
    cacheDir,
  );
  const hash = await hashInputs(
    [fileURLToPath(import.meta.url)],
    [profile.arch, debs.map((d) => path.basename(d)), target.hash],
  );
  return cachedLayer(`tools-${target.deviceType}-${target.version}-${hash}`, async (tree) => {
    await extract(debs, tree);
    // What a device never runs: documentation, locales, character-set converters, headers.
    for (const d of ['usr/share', 'usr/include', `usr/lib/${loaders[profile.arch].triplet}/gconv`, 'etc', 'var'])
      await rm(path.join(tree, d), { recursive: true, force: true });
    await writeToolWrappers(tree, profile);
    await writeFile(path.join(tree, 'hup-tools/layout-2.x'), layoutLines(target));
    const boot = path.join(tree, 'resin-boot');
    await copyBootPartitionFiles(target, boot, deviceOwnedBootFiles);
    if (!(await fileExists(path.join(boot, 'boot.scr'))))
      throw new Error(`${target.path}: resin-boot has no boot.scr; is it a 2.x card?`);
  });
}

/** The target's partitions as `number start size label` lines (sectors of 512 bytes). */
function layoutLines(target: BuiltImage): string {
  return target.partitions.map((p) => `${p.number} ${p.startBytes / 512} ${p.sizeBytes / 512} ${p.label}\n`).join('');
}

/** /hup-tools/bin/<tool>: runs the tool with the loader and libraries of this image, not the device's. */
async function writeToolWrappers(tree: string, profile: DeviceTypeProfile): Promise<void> {
  const { triplet, loader } = loaders[profile.arch];
  if (!(await fileExists(path.join(tree, 'lib', triplet, loader))))
    throw new Error(`The tools image for ${profile.arch} has no lib/${triplet}/${loader} (libc6 not in the closure?)`);
  const bin = path.join(tree, 'hup-tools/bin');
  await mkdir(bin, { recursive: true });
  for (const [name, tool] of Object.entries(tools)) {
    if (!(await fileExists(path.join(tree, tool.path))))
      throw new Error(`Package ${tool.package} (${profile.arch}) has no ${tool.path}`);
    const script = [
      '#!/bin/sh',
      `# ${name} from the hupbench tools image, with the loader and libraries it came with.`,
      'T=$(cd "$(dirname "$0")/../.." && pwd)',
      `exec "$T/lib/${triplet}/${loader}" --library-path "$T/lib/${triplet}:$T/usr/lib/${triplet}" "$T/${tool.path}" "$@"`,
      '',
    ].join('\n');
    await writeFile(path.join(bin, name), script);
    await chmod(path.join(bin, name), 0o755);
  }
}
