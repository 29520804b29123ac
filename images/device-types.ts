// What differs between the boards the reference OS is built for. The builder, the rigs and the
// device model read this one table, so a device type is added in one place.
export interface DeviceTypeProfile {
  /** Debian architecture of the target userland and kernel. */
  arch: 'armhf' | 'arm64';
  /** Debian package whose kernel (and modules) the image boots. */
  kernelPackage: string;
  /** Serial console device as Linux names it on this board. */
  consoleTty: string;
  /** Prefix of the SD card's partition device nodes on the device (`<prefix>2` = p2). */
  partitionPrefix: string;
  /** U-Boot `bootz` (32-bit zImage) or `booti` (arm64 Image). */
  bootCommand: 'bootz' | 'booti';
  /** U-Boot interface and device number of the SD card, used when distro boot did not set them. */
  ubootDevice: { type: string; num: number };
  /** Kernel modules (names, dependencies added automatically) the initramfs loads. */
  modules: string[];
}

const commonModules = ['ext4', 'crc32c_generic', 'vfat', 'nls_cp437', 'nls_iso8859_1', 'btrfs'];

export const deviceTypes: Record<string, DeviceTypeProfile> = {
  'beaglebone-black': {
    arch: 'armhf',
    kernelPackage: 'linux-image-armmp',
    consoleTty: 'ttyAMA0',
    partitionPrefix: '/dev/vda',
    bootCommand: 'bootz',
    ubootDevice: { type: 'virtio', num: 0 },
    modules: ['virtio_pci', 'virtio_blk', 'virtio_net', ...commonModules],
  },
};

export function deviceTypeProfile(name: string): DeviceTypeProfile {
  const profile = deviceTypes[name];
  if (!profile) {
    throw new Error(
      `Unknown device type "${name}". Known device types: ${Object.keys(deviceTypes).join(', ')}. ` +
        `Add a profile to images/device-types.ts to support a new board.`,
    );
  }
  return profile;
}
