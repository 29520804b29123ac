// What the host needs, as data: each tool with the Debian package that provides it.
export interface HostRequirement {
  /** A command on PATH, or an absolute file path. */
  needs: string;
  debianPackage: string;
  why: string;
}

export const hostRequirements: HostRequirement[] = [
  { needs: 'qemu-system-arm', debianPackage: 'qemu-system-arm', why: 'emulates the boards (also provides qemu-system-aarch64)' },
  { needs: 'qemu-img', debianPackage: 'qemu-utils', why: 'copy-on-write SD-card overlays' },
  { needs: '/usr/lib/u-boot/qemu_arm/u-boot.bin', debianPackage: 'u-boot-qemu', why: "the BeagleBone rig's bootloader" },
  { needs: 'mkimage', debianPackage: 'u-boot-tools', why: 'compiles boot.scr' },
  { needs: 'qemu-arm-static', debianPackage: 'qemu-user-static', why: 'asks the target busybox for its applet list' },
  { needs: 'mkfs.ext4', debianPackage: 'e2fsprogs', why: 'root, state and data filesystems; debugfs reads images' },
  { needs: 'mkfs.btrfs', debianPackage: 'btrfs-progs', why: '1.x resin-data' },
  { needs: 'mkfs.vfat', debianPackage: 'dosfstools', why: 'resin-boot' },
  { needs: 'mcopy', debianPackage: 'mtools', why: 'writes and reads resin-boot without mounting' },
  { needs: 'sfdisk', debianPackage: 'fdisk', why: 'partition tables' },
  { needs: 'cpio', debianPackage: 'cpio', why: 'initramfs archives' },
  { needs: '/sbin/depmod', debianPackage: 'kmod', why: 'module dependencies of the target kernel' },
  { needs: 'setpriv', debianPackage: 'util-linux', why: 'ties QEMU to the test worker so it never outlives a run' },
  { needs: 'ssh-keygen', debianPackage: 'openssh-client', why: "the harness's device key" },
  { needs: 'dockerd', debianPackage: 'docker.io', why: 'runs the registry container' },
  { needs: 'bmaptool', debianPackage: 'bmap-tools', why: "bench rigs: the card image's block map, so a flash writes only mapped ranges" },
  { needs: 'ser2net', debianPackage: 'ser2net', why: "bench rigs: the virtual bench's console server (labs export UARTs with it)" },
  { needs: 'pdudaemon', debianPackage: 'pdudaemon', why: "bench rigs: the virtual bench's PDU (labs drive PDUs with it)" },
  { needs: 'usbsdmux', debianPackage: 'usbsdmux', why: 'bench rigs: switches a usb-sd-mux between the board and the host' },
  { needs: 'java', debianPackage: 'default-jre-headless', why: "allure-commandline's `allure generate` builds the Allure report" },
  { needs: '/usr/bin/chromium', debianPackage: 'chromium', why: 'the report test opens the generated Allure report in headless Chromium' },
];

export const foreignArchitectures = ['armhf', 'arm64'];
