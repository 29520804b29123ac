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

/** What a phase snapshot is of: the recording's description (any JSON) and the phase it stood at. */
export interface PhaseSnapshotKey {
  subject: Record<string, string | number | undefined>;
  phase: string;
}

/**
 * Boards saved as an updater phase starts (QEMU rigs that can migrate): a power-cut row resumes inside
 * the running updater instead of booting the source and running the updater up to its phase.
 */
export interface PhaseSnapshots {
  /** What the recording saved beside the snapshot of `key` (JSON), or undefined when there is none. */
  find(key: PhaseSnapshotKey): Promise<unknown>;
  /** Stops the running board's CPUs at once: the moment a snapshot is of. */
  hold(): Promise<void>;
  /** Saves the held board as the snapshot of `key`, with `recorded`; the board stays held. */
  save(key: PhaseSnapshotKey, recorded: unknown): Promise<void>;
  /** Lets the held board run on. */
  release(): Promise<void>;
  /** Resumes the board, running, where the snapshot stood. False: none, or it no longer loads (then dropped). */
  resume(key: PhaseSnapshotKey): Promise<boolean>;
  /** One recording of a subject at a time across this host's workers: resolves to the release. */
  lock(subject: PhaseSnapshotKey['subject'], timeoutMs: number): Promise<() => Promise<void>>;
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
  /** Present on rigs that can save a board mid-update and resume it (QEMU boards that migrate). */
  readonly phaseSnapshots?: PhaseSnapshots;
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
