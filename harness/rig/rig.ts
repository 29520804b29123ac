// What every rig offers a test: one board and its wiring. QEMU rigs and bench rigs implement it.
import type { SerialConsole } from '../console/serial-console.ts';
import type { SshEndpoint } from '../ssh/ssh-client.ts';
import type { RigConfig } from './rig-config.ts';

export interface PowerSwitch {
  on(): Promise<void>;
  /** Power removed. On every rig this is as abrupt as a cut: boards have no soft-off line. */
  off(): Promise<void>;
  /** Power removed mid-operation, on purpose: nothing is synced. */
  cut(): Promise<void>;
}

export interface NetworkLink {
  up(): Promise<void>;
  down(): Promise<void>;
}

/**
 * Fast reset (QEMU rigs): a board saved at the login prompt of a real boot of an image, resumed
 * instead of booting that image again.
 */
export interface LoginSnapshots {
  /**
   * Flashes the image and resumes the board, powered on, where the saved boot stood at its login
   * prompt. False when no snapshot of this image is saved (or it no longer loads): flash and boot.
   */
  resume(imagePath: string): Promise<boolean>;
  /** Saves the running board, standing at the login prompt of a real boot of `imagePath`. */
  save(imagePath: string, bootMs: number): Promise<void>;
}

export interface Rig extends AsyncDisposable {
  readonly config: RigConfig;
  readonly deviceType: string;
  readonly power: PowerSwitch;
  readonly console: SerialConsole;
  readonly network: NetworkLink;
  /** Writes a card image to the board's SD card (power must be off). */
  flash(imagePath: string): Promise<void>;
  /** Where the device's SSH server is reachable from the host. */
  sshEndpoint(): SshEndpoint;
  /** Present on rigs that can save and resume a booted board (QEMU); bench boards always boot. */
  readonly snapshots?: LoginSnapshots;
  /**
   * One or two lines for an error report, e.g. when a wait after a power-on ran out: the power state
   * as the rig believes it and its last transition, whether the board's emulator or lab is running,
   * whether the console transport is attached and how long ago its last byte arrived.
   */
  powerReport(): string;
  /**
   * The process that emulates the board, when there is one (QEMU): product waits read how much CPU
   * it got, so a board starved by its host is given the time the wait promised it.
   */
  boardPid?(): number | undefined;
  dispose(): Promise<void>;
}
