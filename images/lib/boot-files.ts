// The resin-boot partition: the generic boot script and boot environment, plus the board-specific
// files of the profile's `bootFiles` (e.g. the Raspberry Pi's config.txt, U-Boot and device tree).
import { $ } from 'zx';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import path from 'node:path';
import type { BootFile, DeviceTypeProfile } from '../device-types.ts';
import type { KernelTree } from './kernel.ts';
import { download, extract } from './debian-packages.ts';
import { downloadFromSuite, HOST_SUITE } from './debian-suite.ts';
import { fileExists } from './cache.ts';
import type { Release } from './releases.ts';
import { BOOT_ENV_FILE, bootEnvText, bootRevisions, configTxtFor, releaseSuite } from './release-boot.ts';

/** Boots an update on trial gets before U-Boot gives up on it and boots the previous root. */
export const BOOT_LIMIT = 3;

/**
 * Downloads (cached) the Debian packages the profile's boot files come from (U-Boot), from the
 * release's suite; part of the image hash. A 1.x card carries none of them.
 */
export async function downloadBootPackages(
  profile: DeviceTypeProfile,
  release: Pick<Release, 'layout' | 'suite'>,
  cacheDir: string,
): Promise<string[]> {
  if (release.layout === '1.x') return [];
  const packages = [...new Set((profile.bootFiles ?? []).flatMap((f) => ('package' in f ? [f.package] : [])))];
  if (!packages.length) return [];
  const suite = releaseSuite(release);
  return suite === HOST_SUITE
    ? download(packages, profile.arch, cacheDir)
    : downloadFromSuite(packages, profile.arch, suite, cacheDir);
}

/** The kernel as the root partition's /boot/vmlinuz (gzip'd when the profile asks for it). */
export async function installKernel(kernel: KernelTree, target: string, profile: DeviceTypeProfile): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  if (!profile.gzipKernel) return copyFile(kernel.vmlinuz, target);
  await pipeline(createReadStream(kernel.vmlinuz), createGzip({ level: 9 }), createWriteStream(target));
}

/**
 * Fills in a boot script template's @VARS@ for the profile and release; writes boot.cmd and U-Boot's
 * boot.scr into `dir`, and the release's U-Boot environment (bootenv.txt) the script imports.
 */
export async function compileBootScript(
  template: string,
  profile: DeviceTypeProfile,
  release: Pick<Release, 'boot' | 'version'>,
  dir: string,
): Promise<void> {
  const script = (await readFile(template, 'utf8'))
    .replaceAll('@BOOT_SCRIPT_REV@', String(bootRevisions(release).script))
    .replaceAll('@RELEASE@', release.version)
    .replaceAll('@BOOT_ENV_FILE@', BOOT_ENV_FILE)
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
  await writeFile(path.join(dir, BOOT_ENV_FILE), bootEnvText(release));
  // Note: mkimage writes the build time into the header; a fixed one keeps boot.scr the same bytes for
  // the same script, so `hupbench diff` reports a changed boot.scr only when its script changed.
  await $({
    env: { ...process.env, SOURCE_DATE_EPOCH: '0' },
  })`mkimage -A arm -T script -C none -n hupbench -d ${path.join(dir, 'boot.cmd')} ${path.join(dir, 'boot.scr')}`;
}

export async function writeBootPartition(opts: {
  dir: string;
  profile: DeviceTypeProfile;
  release: Pick<Release, 'boot' | 'version'>;
  bootCmd: string;
  kernel: KernelTree;
  bootPackages: string[];
  workDir: string;
}): Promise<void> {
  const { dir, profile } = opts;
  await mkdir(dir, { recursive: true });
  await compileBootScript(opts.bootCmd, profile, opts.release, dir);
  await writeFile(path.join(dir, 'resinOS_uEnv.txt'), 'resin_root_part=2\nupgrade_available=0\n');

  const files = releaseBootFiles(profile, opts.release);
  if (!files.length) return;
  const packageTree = path.join(opts.workDir, 'boot-packages');
  if (opts.bootPackages.length) await extract(opts.bootPackages, packageTree);
  for (const file of files) {
    const target = path.join(dir, file.name);
    if ('text' in file) {
      await writeFile(target, file.name === 'config.txt' ? configTxtFor(file.text, opts.release) : file.text);
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

/** The profile's boot files and, on a board that boots a device tree from resin-boot, the release's extra ones. */
function releaseBootFiles(profile: DeviceTypeProfile, release: Pick<Release, 'boot'>): BootFile[] {
  const files = profile.bootFiles ?? [];
  if (!files.some((f) => 'dtb' in f)) return files;
  const extra = (release.boot?.dtbs ?? []).map((dtb) => ({ name: path.basename(dtb), dtb }));
  return [...files, ...extra.filter((e) => !files.some((f) => f.name === e.name))];
}
