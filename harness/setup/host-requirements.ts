// What the host needs, as data: each tool or file with the Debian package that provides it, and the
// target-architecture packages the image builder downloads (which need only an install candidate).
import { deviceTypes } from '../../images/device-types.ts';
import { userlandPackages, userlandPackagesNoDeps } from '../../images/lib/userland.ts';

export interface HostRequirement {
  /** A command on PATH, or an absolute file path. */
  needs: string;
  debianPackage: string;
  why: string;
}

export const hostRequirements: HostRequirement[] = [
  {
    needs: 'qemu-system-arm',
    debianPackage: 'qemu-system-arm',
    why: "emulates the BeagleBone rig's board (virt, armv7)",
  },
  {
    needs: 'qemu-system-aarch64',
    debianPackage: 'qemu-system-arm',
    why: "emulates the Raspberry Pi rig's board (raspi3b)",
  },
  { needs: 'qemu-img', debianPackage: 'qemu-utils', why: 'copy-on-write SD-card overlays' },
  // Files the rigs' QEMU command lines load (harness/rig/qemu/boards/). Note: none of them is a
  // Depends of qemu-system-arm, and a --no-install-recommends install leaves the ROM out.
  {
    needs: '/usr/lib/u-boot/qemu_arm/u-boot.bin',
    debianPackage: 'u-boot-qemu',
    why: "the BeagleBone rig's bootloader (QEMU -bios)",
  },
  {
    needs: '/usr/lib/ipxe/qemu/efi-virtio.rom',
    debianPackage: 'ipxe-qemu',
    why: "virtio-net-pci's option ROM, which the BeagleBone rig's QEMU loads at start; only a Recommends of qemu-system-arm",
  },
  { needs: 'mkimage', debianPackage: 'u-boot-tools', why: 'compiles boot.scr' },
  { needs: 'qemu-arm-static', debianPackage: 'qemu-user-static', why: 'asks the target busybox for its applet list' },
  { needs: 'mkfs.ext4', debianPackage: 'e2fsprogs', why: 'root, state and data filesystems; debugfs reads images' },
  { needs: 'mkfs.btrfs', debianPackage: 'btrfs-progs', why: '1.x resin-data' },
  { needs: 'mkfs.vfat', debianPackage: 'dosfstools', why: 'resin-boot' },
  {
    needs: 'mcopy',
    debianPackage: 'mtools',
    why: "writes and reads resin-boot without mounting (the Raspberry Pi rig's firmware reads config.txt with it)",
  },
  { needs: 'sfdisk', debianPackage: 'fdisk', why: 'partition tables' },
  { needs: 'cpio', debianPackage: 'cpio', why: 'initramfs archives' },
  {
    needs: 'xz',
    debianPackage: 'xz-utils',
    why: "given releases: decompresses a .xz card image (and their tests' fixtures write one)",
  },
  { needs: 'zstd', debianPackage: 'zstd', why: 'given releases: decompresses a .zst card image' },
  {
    needs: 'jq',
    debianPackage: 'jq',
    why: "the release-set fixture (test/fixtures/release-set/assemble.sh) edits the archives' JSON",
  },
  { needs: '/sbin/depmod', debianPackage: 'kmod', why: 'module dependencies of the target kernel' },
  { needs: 'setpriv', debianPackage: 'util-linux', why: 'ties QEMU to the test worker so it never outlives a run' },
  { needs: 'ssh-keygen', debianPackage: 'openssh-client', why: "the harness's device key" },
  { needs: 'dockerd', debianPackage: 'docker.io', why: 'runs the registry container' },
  {
    needs: 'bmaptool',
    debianPackage: 'bmap-tools',
    why: "bench rigs: the card image's block map, so a flash writes only mapped ranges",
  },
  {
    needs: 'ser2net',
    debianPackage: 'ser2net',
    why: "bench rigs: the virtual bench's console server (labs export UARTs with it)",
  },
  {
    needs: 'pdudaemon',
    debianPackage: 'pdudaemon',
    why: "bench rigs: the virtual bench's PDU (labs drive PDUs with it)",
  },
  {
    needs: 'usbsdmux',
    debianPackage: 'usbsdmux',
    why: 'bench rigs: switches a usb-sd-mux between the board and the host',
  },
  {
    needs: 'java',
    debianPackage: 'default-jre-headless',
    why: "allure-commandline's `allure generate` builds the Allure report",
  },
  {
    needs: '/usr/bin/chromium',
    debianPackage: 'chromium',
    why: 'the report test opens the generated Allure report in headless Chromium',
  },
];

export const foreignArchitectures = ['armhf', 'arm64'];

export interface TargetPackage {
  /** `name:arch` as apt-get download takes it (or a bare name for the host's architecture). */
  name: string;
  why: string;
}

/**
 * Packages the image builder and the registry image fetch with `apt-get download` (images/): they
 * are never installed on the host, but apt must have a candidate for each, from an index of their
 * architecture. Their dependencies come from the same indexes.
 */
export function targetPackages(): TargetPackage[] {
  const out = new Map<string, TargetPackage>();
  const add = (name: string, why: string) => out.has(name) || out.set(name, { name, why });
  for (const [deviceType, profile] of Object.entries(deviceTypes)) {
    const image = `the ${deviceType} reference image (images/build.ts downloads it)`;
    for (const p of [...userlandPackages, ...userlandPackagesNoDeps])
      add(`${p}:${profile.arch}`, `userland of ${image}`);
    add(`${profile.kernelPackage}:${profile.arch}`, `kernel of ${image}`);
    for (const file of profile.bootFiles ?? []) {
      if ('package' in file) add(`${file.package}:${profile.arch}`, `${file.name} on resin-boot of ${image}`);
    }
  }
  add('docker-registry', 'the registry container the suites pull updates from (harness/registry/registry-image.ts)');
  return [...out.values()];
}

/**
 * The package that ships a file QEMU could not load, from the file's path or bare name (QEMU names
 * a ROM only by its base name: `failed to find romfile "efi-virtio.rom"`).
 */
export function packageForFile(file: string): HostRequirement | undefined {
  const exact = hostRequirements.find((r) => r.needs === file);
  if (exact) return exact;
  const base = file.split('/').at(-1)!;
  const byName = hostRequirements.find((r) => r.needs.startsWith('/') && r.needs.split('/').at(-1) === base);
  if (byName) return byName;
  // Debian's QEMU looks for firmware in /usr/share/qemu (qemu-system-data), /usr/share/seabios
  // (seabios) and /usr/lib/ipxe/qemu (ipxe-qemu, the network cards' efi-*.rom and pxe-*.rom).
  if (/^(efi|pxe)-[\w-]+\.rom$/.test(base))
    return { needs: `/usr/lib/ipxe/qemu/${base}`, debianPackage: 'ipxe-qemu', why: "a network card's option ROM" };
  if (file.startsWith('/usr/lib/u-boot/'))
    return { needs: file, debianPackage: 'u-boot-qemu', why: 'a U-Boot build for QEMU' };
  if (file.startsWith('/usr/share/qemu/'))
    return { needs: file, debianPackage: 'qemu-system-data', why: "QEMU's firmware and data files" };
  return undefined;
}
