// The parts of a QemuRig that the modules beside it work with.
import type { SerialConsole } from '../../console/serial-console.ts';
import type { PowerOwner } from '../power-owner.ts';
import type { QemuRigConfig } from '../rig-config.ts';
import type { QemuBoard } from './boards/board.ts';
import type { RunningQemu } from './qemu-process.ts';

/**
 * What the modules beside QemuRig (login snapshots, guest events) use of it: its card, its QEMU
 * process, its console and power state. Note: an interface rather than the class's privates, so those
 * modules see only these.
 */
export interface QemuRigParts {
  readonly config: QemuRigConfig;
  readonly board: QemuBoard;
  readonly diskPath: string;
  readonly console: SerialConsole;
  readonly owner: PowerOwner;
  /** The board's QEMU, if one was started. */
  running(): RunningQemu | undefined;
  disposed(): boolean;
  /** A fresh card over `backing`, QEMU stopped. */
  newCard(backing: string, format: 'raw' | 'qcow2'): Promise<void>;
  /** Flashes the image (a new card over it). */
  writeCard(imagePath: string): Promise<void>;
  /** Starts QEMU (`incoming`: waiting for a saved state instead of booting its firmware). */
  start(opts?: { incoming?: boolean }): Promise<void>;
  stop(): Promise<void>;
  qemuLog(): string;
}
