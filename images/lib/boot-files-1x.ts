// resin-boot of the 1.x layout. 1.x has no resinOS_uEnv.txt: each board's own boot flow picks the
// root. BeagleBone: U-Boot reads uEnv.txt, `bootpart=1:2` (resin-root) or `1:3` (resin-updt).
// Raspberry Pi: the GPU firmware boots Linux straight from resin-boot (config.txt `kernel=`,
// `initramfs ... followkernel`) with cmdline.txt, whose `root=` names the root partition.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DeviceTypeProfile } from '../device-types.ts';
import { compileBootScript } from './boot-files.ts';
import { fileExists } from './cache.ts';
import type { KernelTree } from './kernel.ts';
import type { Release } from './releases.ts';

/** How a 1.x board of this device type chooses its root partition. */
export type LegacyBootStyle = 'uenv-bootpart' | 'rpi-cmdline';

const styles: Record<string, LegacyBootStyle> = {
  'beaglebone-black': 'uenv-bootpart',
  'raspberrypi3-64': 'rpi-cmdline',
};

export function legacyBootStyle(deviceType: string): LegacyBootStyle {
  const style = styles[deviceType];
  if (!style) {
    throw new Error(
      `No 1.x boot flow for device type "${deviceType}" (known: ${Object.keys(styles).join(', ')}). Add it to images/lib/boot-files-1x.ts.`,
    );
  }
  return style;
}

/** The 1.x Raspberry Pi's firmware files: Linux is `kernel=`, its initramfs follows it. */
export const RPI_1X_KERNEL = 'kernel8.img';
export const RPI_1X_INITRD = 'initrd.img';

/** uEnv.txt (BeagleBone) for a root partition. */
export function uEnvFor(rootPart: 2 | 3): string {
  return `bootpart=1:${rootPart}\n`;
}

/** cmdline.txt (Raspberry Pi) for a root partition. */
export function cmdlineFor(profile: DeviceTypeProfile, rootPart: 2 | 3): string {
  return `console=${profile.consoleTty},115200 root=${profile.partitionPrefix}${rootPart} rootfstype=ext4 rootwait panic=5\n`;
}

export async function writeLegacyBootPartition(opts: {
  dir: string;
  deviceType: string;
  profile: DeviceTypeProfile;
  release: Pick<Release, 'boot' | 'version'>;
  /** images/boot/boot-1x.cmd */
  bootCmd: string;
  /** The root tree whose /boot/vmlinuz and /boot/initrd.img the Raspberry Pi firmware boots. */
  rootfs: string;
  kernel: KernelTree;
}): Promise<void> {
  const { dir, profile } = opts;
  await mkdir(dir, { recursive: true });
  if (legacyBootStyle(opts.deviceType) === 'uenv-bootpart') {
    await compileBootScript(opts.bootCmd, profile, opts.release, dir);
    await writeFile(path.join(dir, 'uEnv.txt'), uEnvFor(2));
    return;
  }
  // Note: the kernel is /boot/vmlinuz as the root tree has it (gzip'd for this board): the firmware
  // of a Pi 3 in 64-bit mode, like QEMU's loader, unpacks a gzip'd kernel8.img.
  await copyFile(path.join(opts.rootfs, 'boot/vmlinuz'), path.join(dir, RPI_1X_KERNEL));
  await copyFile(path.join(opts.rootfs, 'boot/initrd.img'), path.join(dir, RPI_1X_INITRD));
  await writeFile(
    path.join(dir, 'config.txt'),
    `kernel=${RPI_1X_KERNEL}\ninitramfs ${RPI_1X_INITRD} followkernel\nenable_uart=1\narm_64bit=1\n`,
  );
  await writeFile(path.join(dir, 'cmdline.txt'), cmdlineFor(profile, 2));
  for (const file of profile.bootFiles ?? []) {
    if (!('dtb' in file)) continue; // config.txt and U-Boot are the 2.x boot chain's
    const source = path.join(opts.kernel.root, 'usr/lib', `linux-image-${opts.kernel.release}`, file.dtb);
    if (!(await fileExists(source)))
      throw new Error(`Boot file ${file.name}: ${file.dtb} is not in kernel package ${opts.kernel.release}`);
    await copyFile(source, path.join(dir, file.name));
  }
}
