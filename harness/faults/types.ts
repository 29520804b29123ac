// The shape of the fault catalogue: every way hupbench breaks an update is one entry of this union,
// told apart by `kind`. Every entry says what it does (description) and what the device must do about
// it (guarantee); what else it needs depends on its kind: where it strikes (a phase, the pull, the
// whole run, the new OS, before the updater) and its action, written against the board's strategy
// and the run's registry, never against a rig directly from a suite.
import type { Release } from '../../images/lib/releases.ts';
import type { BoardStrategy } from '../board/strategy.ts';
import type { Device } from '../device/device.ts';
import type { StartedRegistry } from '../registry/registry.ts';
import type { GuaranteeRow } from './guarantees.ts';

/** What a fault's action acts on: a ScenarioContext is one. */
export interface FaultTarget {
  board: BoardStrategy;
  registry: { started: StartedRegistry };
}

interface FaultBase {
  /** The name `--fault` takes and the suites' titles use. */
  name: string;
  description: string;
  /** What the device must do, in words the report prints. */
  guarantee: string;
}

/** Power removed while the updater is in a phase; what must boot is the phase's guarantee row. */
export interface PhaseCutFault extends FaultBase {
  kind: 'phase-cut';
  /** The guarantee rows of an updater: one per phase, with where in it the cut lands. */
  rows(updater: string): GuaranteeRow[];
  /** The cut: the board loses power mid-write, SSH goes with it. */
  strike(target: FaultTarget, phase: string): Promise<void>;
}

/**
 * The device's link (`link`) or the registry (`registry`) goes away while the updater pulls, and comes
 * back: the updater fails cleanly, the device is as it was, a rerun succeeds.
 */
export interface OutageFault extends FaultBase {
  kind: 'link' | 'registry';
  effect: 'outage';
  /** Where the suites strike (`--at` overrides the phase). */
  at: { phase: string; afterMs: number };
  /** What the updater's error line must say (an updater profile may word it its own way: outageMessage). */
  message: RegExp;
  /** Runs when the phase starts; the link outage ends by itself after `outageMs`, the registry's does not. */
  strike(target: FaultTarget, opts?: { outageMs?: number }): Promise<void>;
  /** Back to normal (idempotent: also run after a failed strike). */
  restore(target: FaultTarget): Promise<void>;
}

/** The registry served over a slow link for the whole run: the update completes, nothing is pulled twice. */
export interface ThrottleFault extends FaultBase {
  kind: 'registry';
  effect: 'throttle';
  kbitPerSecond: number;
  /** Framing and retransmissions allowed on the device's interface over the blob bytes. */
  wireOverhead: number;
  apply(target: FaultTarget): Promise<void>;
  restore(target: FaultTarget): Promise<void>;
}

/** The layer a link drop waits for: the device has part of it when the link goes. */
export interface PullLayer {
  digest: string;
  size: number;
}

/** What a link drop did: where the layer was when the link went, and how long it stayed down. */
export interface LinkDrop {
  /** Bytes of the layer on the device when the link went down. */
  layerBytesAtDrop: number;
  outageMs: number;
  /** The engine said it abandoned the download while the link was down (else the link came back at the limit). */
  engineGaveUp: boolean;
}

/**
 * The device's link drops once part of the hostOS layer has reached it and comes back inside the
 * updater's retry window: the update completes, through a retried pull.
 */
export interface DropFault extends FaultBase {
  kind: 'link';
  effect: 'drop';
  /** The phase in which it waits for the layer (the pull). */
  phase: string;
  /** The share of the layer on the device when the link goes (0–1). */
  atFraction: number;
  /** The longest the link stays down. */
  outageMs: number;
  /** Waits on the device for the layer's download to pass `atFraction`, then drops the link for `outageMs`. */
  strike(target: FaultTarget, layer: PullLayer): Promise<LinkDrop>;
  restore(target: FaultTarget): Promise<void>;
}

/** Which rollback mechanism must catch a broken new OS. */
export type RollbackMechanism = 'altboot' | 'health' | 'bootloader-default';

export interface NewOsFaultTarget {
  /** The booted old OS's shell (the board's device). */
  device: Device;
  /** The partition the updater just wrote, e.g. /dev/vda3. */
  newRootDevice: string;
}

/** Applied after the updater wrote the new root (run with --no-reboot), before the reboot into it. */
export interface NewOsFault extends FaultBase {
  kind: 'new-os';
  caughtBy: RollbackMechanism;
  apply(target: NewOsFaultTarget): Promise<void>;
}

/** Who a refusal case is for: a device running `device` asked for `target`. */
export interface RefusalSubject {
  device: Release;
  target: string;
  /** A version with no image in the registry (`missing-tag`). */
  missing?: string;
  /** The label of the spare root on the device's card (`spare-root-too-small`). */
  spareLabel?: string;
}

/** One refused update: the device, the arguments, what the updater must answer. */
export interface Refusal {
  /** What is refused: the test is `<updater> refuses: <name>`. */
  name: string;
  /** The release the device runs. */
  device: Release;
  /** The card to flash instead of the release's own (e.g. one with a shrunk spare root). */
  card?: (image: string) => Promise<string>;
  /** The version asked for (the updater's target-version flag). */
  target: string;
  /** The registry the updater is pointed at (its registry flag), instead of config.json's. */
  registry?: string;
  /** The catalogue's refusal this case is (an updater profile may word it its own way). */
  fault?: string;
  /**
   * The last phase the updater may start (default the checks): a refusal that only what it wrote can
   * tell (the exported root) comes later, still before the boot files and the boot settings.
   */
  lastPhase?: string;
  /** The spare root's label (spare-root-too-small). */
  spareLabel?: string;
  exitCode: number;
  /** The message that says why, in the reference updaters' words. */
  message: RegExp;
  /** Runs on the booted board before the updater; may return its undo. */
  arrange?: (board: BoardStrategy) => Promise<(() => Promise<void>) | undefined>;
  /** Runs on the run's registry (after the publish, before the updater); may return its undo. */
  arrangeRegistry?: (target: FaultTarget) => Promise<(() => Promise<void>) | undefined>;
}

/** A setup every updater must refuse before touching anything. */
export interface RefusalFault extends FaultBase {
  kind: 'refusal';
  /** The refusal case for a subject. */
  refusal(subject: RefusalSubject): Refusal;
}

export type Fault = PhaseCutFault | OutageFault | ThrottleFault | DropFault | NewOsFault | RefusalFault;
export type FaultKind = Fault['kind'];
