// How QEMU emulates each device type: machine, firmware, disk and network devices.
import { InfraError } from '../../errors.ts';

export interface QemuLaunch {
  binary: string;
  args: string[];
}

export interface BoardInputs {
  diskPath: string;
  sshPort: number;
  qmpPath: string;
  memoryMiB: number;
}

const ubootQemuArm = '/usr/lib/u-boot/qemu_arm/u-boot.bin';

/** Arguments every board shares: paused at start (power is off), QMP, the console on a pty. */
function common(inputs: BoardInputs): string[] {
  return [
    '-nodefaults', '-display', 'none', '-S', '-no-shutdown',
    '-qmp', `unix:${inputs.qmpPath},server=on,wait=off`,
    '-chardev', 'pty,id=console0', '-serial', 'chardev:console0',
    '-m', String(inputs.memoryMiB),
  ];
}

const boards: Record<string, (inputs: BoardInputs) => QemuLaunch | Promise<QemuLaunch>> = {
  // No AM335x model in QEMU: `virt` with a Cortex-A15 and U-Boot qemu_arm runs the same boot.scr.
  'beaglebone-black': (inputs) => ({
    binary: 'qemu-system-arm',
    args: [
      '-M', 'virt', '-cpu', 'cortex-a15', '-bios', ubootQemuArm,
      ...common(inputs),
      '-drive', `file=${inputs.diskPath},if=none,format=qcow2,id=sd,cache=writeback`,
      '-device', 'virtio-blk-pci,drive=sd',
      '-netdev', `user,id=net0,hostfwd=tcp:127.0.0.1:${inputs.sshPort}-:22`,
      '-device', 'virtio-net-pci,netdev=net0,id=nic0',
    ],
  }),
};

export async function qemuLaunchFor(deviceType: string, inputs: BoardInputs): Promise<QemuLaunch> {
  const board = boards[deviceType];
  if (!board) throw new InfraError(`No QEMU board for device type ${deviceType}. Known: ${Object.keys(boards).join(', ')}`);
  return board(inputs);
}

/** The QOM id of the NIC whose link set_link toggles. */
export const nicId = 'nic0';
