// How QEMU emulates one device type. A board builds QEMU's command line (from the SD card, for
// boards whose firmware reads files off it) and may react to the console, as real hardware does.
import type { QmpClient } from '../qmp.ts';

export interface QemuLaunch {
  binary: string;
  args: string[];
}

export interface BoardInputs {
  diskPath: string;
  sshPort: number;
  qmpPath: string;
  memoryMiB: number;
  /** QEMU's TCG threading (the rig file's `tcgThread`). */
  tcgThread?: 'multi' | 'single';
  /** A directory the board may write firmware files into. */
  workDir: string;
}

export interface QemuBoard {
  /** The QEMU system emulator this board runs on. */
  binary: string;
  launch(inputs: BoardInputs): Promise<QemuLaunch>;
  /** QOM id of the NIC whose link `set_link` toggles. */
  nicId: string;
  /**
   * True when every power-on and every guest reset must start a new QEMU process: the board's
   * firmware reads its files from the SD card at each boot, and QEMU's -kernel cannot change later.
   */
  relaunchOnEveryBoot: boolean;
  /** Why this board cannot be saved and resumed (login snapshots), when it cannot. */
  notSnapshottable?: string;
  /** Called when the console shows the kernel starting (e.g. to attach USB devices). */
  onKernelStart?(qmp: QmpClient): Promise<void>;
}

/** Arguments every board shares: paused at start (power is off), QMP, the console on a pty. */
export function commonArgs(inputs: BoardInputs): string[] {
  return [
    '-nodefaults',
    '-display',
    'none',
    '-S',
    '-no-shutdown',
    '-qmp',
    `unix:${inputs.qmpPath},server=on,wait=off`,
    '-chardev',
    'pty,id=console0',
    '-m',
    String(inputs.memoryMiB),
    ...(inputs.tcgThread === 'single' ? ['-accel', 'tcg,thread=single'] : []),
  ];
}
