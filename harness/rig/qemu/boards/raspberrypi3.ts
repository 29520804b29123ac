// Raspberry Pi 3 on QEMU raspi3b: GPU firmware emulated on the host (config.txt → U-Boot + dtb for
// 2.x; → Linux + initramfs + cmdline.txt for 1.x),
// console on the mini-UART (serial1), SD card, usb-net on the DWC2 controller. Findings behind each
// choice: raspberrypi3-notes.md beside this file.
import path from 'node:path';
import { commonArgs, type QemuBoard } from './board.ts';
import { readFirmwareFiles } from './gpu-firmware.ts';

export const raspberrypi3: QemuBoard = {
  binary: 'qemu-system-aarch64',
  nicId: 'usbnet0',
  relaunchOnEveryBoot: true,
  // QEMU marks usb-net unmigratable, and raspi3b has no other network device: this board always boots.
  notSnapshottable: 'QEMU cannot migrate usb-net, the only NIC raspi3b can have',
  async launch(inputs) {
    const firmware = await readFirmwareFiles(
      inputs.diskPath,
      path.join(inputs.workDir, 'firmware'),
      'bcm2837-rpi-3-b.dtb',
    );
    return {
      binary: this.binary,
      args: [
        '-M',
        'raspi3b',
        '-kernel',
        firmware.kernel,
        '-dtb',
        firmware.dtb,
        // 1.x boots Linux from resin-boot: its initramfs and cmdline.txt, as the firmware hands them over.
        ...(firmware.initrd ? ['-initrd', firmware.initrd] : []),
        ...(firmware.cmdline ? ['-append', firmware.cmdline] : []),
        ...commonArgs({ ...inputs, memoryMiB: 1024 }), // raspi3b has exactly 1 GiB
        // Note: raspi3b cannot power off; both reboot and poweroff are watchdog resets. With
        // -no-reboot they pause QEMU and the rig decides from the console which one it was.
        '-no-reboot',
        '-serial',
        'null', // serial0: PL011, Bluetooth on a real Pi 3
        '-serial',
        'chardev:console0', // serial1: mini-UART, enable_uart=1
        '-drive',
        `file=${inputs.diskPath},if=sd,format=qcow2,cache=writeback`,
        '-netdev',
        `user,id=net0,hostfwd=tcp:127.0.0.1:${inputs.sshPort}-:22`,
      ],
    };
  },
  // Note: usb-net present while U-Boot runs is never seen by Linux (QEMU's DWC2 model loses the
  // connect event across U-Boot's `usb start`), so it is plugged in once the kernel starts.
  async onKernelStart(qmp) {
    await qmp.execute('device_add', { driver: 'usb-net', netdev: 'net0', id: 'usbnet0', port: '1' });
  },
};
