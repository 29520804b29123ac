// BeagleBone Black stand-in: QEMU has no AM335x model, so `virt` with a Cortex-A15 and Debian's
// U-Boot qemu_arm as firmware runs the same boot.scr; virtio disk and NIC.
import { commonArgs, type QemuBoard } from './board.ts';

export const beagleboneBlack: QemuBoard = {
  binary: 'qemu-system-arm',
  nicId: 'nic0',
  relaunchOnEveryBoot: false,
  async launch(inputs) {
    return {
      binary: this.binary,
      args: [
        '-M',
        'virt',
        '-cpu',
        'cortex-a15',
        '-bios',
        '/usr/lib/u-boot/qemu_arm/u-boot.bin',
        ...commonArgs(inputs),
        '-serial',
        'chardev:console0',
        '-drive',
        `file=${inputs.diskPath},if=none,format=qcow2,id=sd,cache=writeback`,
        '-device',
        'virtio-blk-pci,drive=sd',
        '-netdev',
        `user,id=net0,hostfwd=tcp:127.0.0.1:${inputs.sshPort}-:22`,
        '-device',
        'virtio-net-pci,netdev=net0,id=nic0',
      ],
    };
  },
};
