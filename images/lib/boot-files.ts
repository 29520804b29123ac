// The resin-boot partition: the generic boot script and boot environment, plus the board-specific
// files of the profile's `bootFiles` (e.g. the Raspberry Pi's config.txt, U-Boot and device tree).
import { $ } from 'zx';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import path from 'node:path';
import type { DeviceTypeProfile } from '../device-types.ts';
import type { KernelTree } from './kernel.ts';
import { download, extract } from './debian-packages.ts';
import { fileExists } from './cache.ts';

/** Boots an update on trial gets before U-Boot gives up on it and boots the previous root. */
export const BOOT_LIMIT = 3;

/** Downloads (cached) the Debian packages the profile's boot files come from; part of the image hash. */
export async function downloadBootPackages(profile: DeviceTypeProfile, cacheDir: string): Promise<string[]> {
  const packages = [...new Set((profile.bootFiles ?? []).flatMap((f) => ('package' in f ? [f.package] : [])))];
  return packages.length ? download(packages, profile.arch, cacheDir) : [];
}

/** The kernel as the root partition's /boot/vmlinuz (gzip'd when the profile asks for it). */
export async function installKernel(kernel: KernelTree, target: string, profile: DeviceTypeProfile): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  if (!profile.gzipKernel) return copyFile(kernel.vmlinuz, target);
  await pipeline(createReadStream(kernel.vmlinuz), createGzip({ level: 9 }), createWriteStream(target));
}

/** Fills in a boot script template's @VARS@ for the profile; writes boot.cmd and U-Boot's boot.scr into `dir`. */
export async function compileBootScript(template: string, profile: DeviceTypeProfile, dir: string): Promise<void> {
  const script = (await readFile(template, 'utf8'))
    .replaceAll('@UBOOT_DEVTYPE@', profile.ubootDevice.type)
    .replaceAll('@UBOOT_DEVNUM@', String(profile.ubootDevice.num))
    .replaceAll('@CONSOLE@', profile.consoleTty)
    .replaceAll('@PARTITION_PREFIX@', profile.partitionPrefix)
    .replaceAll('@BOOT_COMMAND@', profile.bootCommand)
    .replaceAll('@BOOT_LIMIT@', String(BOOT_LIMIT))
    .replaceAll(
      '@KERNEL_LOADED@',
      profile.gzipKernel
        ? `setenv kernel_comp_addr_r ${profile.gzipKernel.ubootScratchAddr}\nsetenv kernel_comp_size \${filesize}`
        : '',
    );
  await writeFile(path.join(dir, 'boot.cmd'), script);
  // Note: mkimage writes the build time into the header; a fixed one keeps boot.scr the same bytes for
  // the same script, so `hupbench diff` reports a changed boot.scr only when its script changed.
  await $({
    env: { ...process.env, SOURCE_DATE_EPOCH: '0' },
  })`mkimage -A arm -T script -C none -n hupbench -d ${path.join(dir, 'boot.cmd')} ${path.join(dir, 'boot.scr')}`;
}

export async function writeBootPartition(opts: {
  dir: string;
  profile: DeviceTypeProfile;
  bootCmd: string;
  kernel: KernelTree;
  bootPackages: string[];
  workDir: string;
}): Promise<void> {
  const { dir, profile } = opts;
  await mkdir(dir, { recursive: true });
  await compileBootScript(opts.bootCmd, profile, dir);
  await writeFile(path.join(dir, 'resinOS_uEnv.txt'), 'resin_root_part=2\nupgrade_available=0\n');

  const files = profile.bootFiles ?? [];
  if (!files.length) return;
  const packageTree = path.join(opts.workDir, 'boot-packages');
  if (opts.bootPackages.length) await extract(opts.bootPackages, packageTree);
  for (const file of files) {
    const target = path.join(dir, file.name);
    if ('text' in file) {
      await writeFile(target, file.text);
      continue;
    }
    const source =
      'package' in file
        ? path.join(packageTree, file.path)
        : path.join(opts.kernel.root, 'usr/lib', `linux-image-${opts.kernel.release}`, file.dtb);
    if (!(await fileExists(source))) {
      const from = 'package' in file ? `package ${file.package}` : `kernel package ${opts.kernel.release}`;
      throw new Error(`Boot file ${file.name}: ${path.relative(opts.workDir, source)} is not in ${from}`);
    }
    await copyFile(source, target);
  }
}
