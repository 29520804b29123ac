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
  /**
   * Install /boot/vmlinuz gzip'd, for `booti` to decompress through this scratch address
   * (kernel_comp_addr_r): SD reads are the slow part of a boot under QEMU raspi3b.
   */
  gzipKernel?: { ubootScratchAddr: string };
  /** Kernel modules (names, dependencies added automatically) the initramfs loads. */
  modules: string[];
  /**
   * Board-specific files on resin-boot besides boot.scr and resinOS_uEnv.txt (images/lib/boot-files.ts
   * writes them): what the board's first-stage firmware reads.
   */
  bootFiles?: BootFile[];
}

export type BootFile =
  /** Literal text. */
  | { name: string; text: string }
  /** A file from a Debian package of the profile's architecture (`path` inside the package). */
  | { name: string; package: string; path: string }
  /** A device tree from the kernel package, relative to usr/lib/linux-image-<release>/. */
  | { name: string; dtb: string };

const commonModules = [
  'ext4',
  'crc32c_generic',
  'vfat',
  'nls_cp437',
  'nls_ascii',
  'nls_iso8859_1',
  'nls_utf8',
  'btrfs',
];

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
  // The rig emulates the GPU firmware: it reads config.txt and hands u-boot.bin and the dtb to QEMU
  // raspi3b (harness/rig/qemu/raspberrypi3-notes.md).
  'raspberrypi3-64': {
    arch: 'arm64',
    kernelPackage: 'linux-image-arm64',
    consoleTty: 'ttyS1',
    partitionPrefix: '/dev/mmcblk0p',
    bootCommand: 'booti',
    ubootDevice: { type: 'mmc', num: 0 },
    gzipKernel: { ubootScratchAddr: '0x0a000000' },
    // SD: sdhci-iproc (Arasan, brcm,bcm2835-sdhci) and bcm2835 (sdhost); the dtb routes the card to
    // sdhost. USB Ethernet: dwc2 (its PHY, usb-nop-xceiv, is phy_generic) + CDC ECM, rndis_host in
    // case the RNDIS configuration is picked. bcm2835_wdt provides the reboot handler.
    modules: [
      'sdhci_iproc',
      'bcm2835',
      'phy_generic',
      'dwc2',
      'usbnet',
      'cdc_ether',
      'rndis_host',
      'bcm2835_wdt',
      ...commonModules,
    ],
    bootFiles: [
      { name: 'config.txt', text: 'kernel=u-boot.bin\nenable_uart=1\narm_64bit=1\n' },
      { name: 'u-boot.bin', package: 'u-boot-rpi', path: 'usr/lib/u-boot/rpi_arm64/u-boot.bin' },
      { name: 'bcm2837-rpi-3-b.dtb', dtb: 'broadcom/bcm2837-rpi-3-b.dtb' },
    ],
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
