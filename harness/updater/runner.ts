// Runs an updater script on the device: uploads it (and the files its profile names), runs it with
// flags while streaming its output, turns the lines its profile says start a phase into steps with
// timings, counts the device's network bytes, follows the reboot on the serial console and reconnects
// SSH. Not tied to Playwright: pass `step` (e.g. `(name, body) => test.step(name, body)`) to see each
// phase as a step. Phase snapshots: a run can hold the board as chosen phases start (`capture`), and a
// board resumed from one is followed on from where the recording stood (`followUpdater`).
import path from 'node:path';
import type { BoardStrategy } from '../board/strategy.ts';
import { type DetachedHandle, type DetachedRunResult, followDetached, startDetached } from './detached-run.ts';
import { type PhaseCapture, PhaseCaptures, PhaseTracker } from './phase-tracker.ts';
import { asksRerun, recognisePhase } from './profiles/contract.ts';
import type { UpdaterContract } from './profiles/types.ts';
import { type HupOutcome, lineSplitter, readResult, shellQuote, TICK_LINE, wrappedCommand } from './run-output.ts';
import { newLogAfter, logsBefore } from './run-log.ts';
import { type SshBytes, sshBytesBetween } from '../ssh/ssh-traffic.ts';

export type { PhaseCapture };

export interface HupPhase {
  name: string;
  /** Milliseconds since the updater was started. */
  startedAtMs: number;
  durationMs: number;
}

export type { HupOutcome };

export interface HupRun {
  script: string;
  args: string[];
  exitCode: number;
  outcome: HupOutcome;
  phases: HupPhase[];
  /** The updater's whole output (stdout and stderr, as the updater tees it into its log). */
  output: string;
  /** The log file on the device, read back after the run (falls back to the streamed output). */
  log: string;
  logPath?: string;
  /** The line of a failed run that says why (its profile's `error` pattern). */
  error?: string;
  /** Reboots the console saw from the start of the run to the login prompt after it. */
  reboots: number;
  /** Bytes on the device's network interface while the updater ran (before the reboot). */
  bytesReceived: number;
  bytesSent: number;
  /** The harness's own SSH payload over the same window as those counters (when it started the run). */
  sshDuringRun?: SshBytes;
  /** Updater start → exit, ms. */
  durationMs: number;
  /** Updater exit → login prompt after the reboot, ms (when it rebooted). */
  rebootMs?: number;
  /** Updater exit → SSH answering after the reboot, ms. */
  sshBackMs?: number;
  /** Host clock when the updater exited (ms since the epoch). */
  exitedAt: number;
  /**
   * The updater asked to be run again after its reboot (its profile's `rerun` line: a pre-step, such as
   * upgrade-1.x-to-2.x.sh moving a device off resin-updt). Set on that first run.
   */
  rerunRequested?: boolean;
  /** The first run, when this run is the rerun after a pre-step. */
  preStep?: HupRun;
  /** The device clock (s) once a second from an in-RAM ticker beside the updater: the device's own liveness. */
  deviceTicks: number[];
  /** When the `at` action ran: the phase, and ms since the updater started. */
  injected?: { phase: string; atMs: number };
}

export type StepRunner = <T>(name: string, body: () => Promise<T>) => Promise<T>;

export interface RunUpdaterOptions {
  /** Local path of the updater script. */
  script: string;
  /** The updater's contract (harness/updater/profiles/): its phases, exit codes, log, flags. */
  contract: UpdaterContract;
  /** Local paths of more files the updater needs, uploaded beside it. */
  files?: string[];
  args: string[];
  /** Wraps each phase (and the reboot) in a step; defaults to just running the body. */
  step?: StepRunner;
  /** Where the script goes on the device. */
  remotePath?: string;
  /** Wait for the reboot and reconnect; default: when the run succeeded without its no-reboot flag. */
  expectReboot?: boolean;
  timeoutMs?: number;
  onOutput?: (chunk: string) => void;
  /**
   * Fault injection: `action` runs when `phase` starts (or `afterMs` into it). `connection` says what
   * the action does to SSH: 'lost' (a power cut: stop following the run) or 'resumes' (a network
   * outage: reconnect and follow the run to its end). Default 'lost'.
   */
  at?: { phase: string; afterMs?: number; action: () => Promise<void>; connection?: 'lost' | 'resumes' };
  /** Run the updater again after the reboot when it asks to (its `rerun` line); default true. */
  rerunAfterPreStep?: boolean;
  /**
   * Phase snapshots: as one of `phases` starts, `hold` (stop the board's CPUs) is asked at once; then
   * `save` for each phase held, in order, and `release` once none is waiting. The run goes on after.
   */
  capture?: {
    phases: readonly string[];
    hold: () => Promise<void>;
    save: (at: PhaseCapture) => Promise<void>;
    release: () => Promise<void>;
  };
}

export async function runUpdater(board: BoardStrategy, options: RunUpdaterOptions): Promise<HupRun> {
  const remote = options.remotePath ?? `/tmp/${path.basename(options.script)}`;
  await board.device.put(options.script, remote, 0o755);
  for (const file of options.files ?? [])
    await board.device.put(file, path.join(path.dirname(remote), path.basename(file)), 0o755);
  const logs = await logsBefore(board.device, options.contract);
  const started = Date.now();
  const sshAtStart = board.device.sshTraffic.total();
  const handle = await startDetached(board.device, wrappedCommand(remote, options.args));
  return followRun(board, options, { handle, started, logs, sshAtStart });
}

/**
 * Follows the updater of a board resumed from a phase snapshot: the run goes on from `from.phase`
 * (its start is now, so `at.afterMs` counts from the resume), its output from where the recording
 * stood. Its first phases and output are the recording's.
 */
export function followUpdater(
  board: BoardStrategy,
  from: PhaseCapture,
  options: Omit<RunUpdaterOptions, 'capture' | 'remotePath'>,
): Promise<HupRun> {
  return followRun(board, options, { handle: from.handle, started: Date.now() - from.elapsedMs, from });
}

async function followRun(
  board: BoardStrategy,
  options: RunUpdaterOptions,
  run0: { handle: DetachedHandle; started: number; from?: PhaseCapture; logs?: string[]; sshAtStart?: SshBytes },
): Promise<HupRun> {
  const { device, rig } = board;
  const { started, from } = run0;
  const step: StepRunner = options.step ?? ((_, body) => body());
  const bootsBefore = rig.console.bootEvents.boots;
  const tracker = new PhaseTracker(step, options.at, started);
  const deviceTicks: number[] = [];
  const lostIsCut = (options.at?.connection ?? 'lost') === 'lost';
  const captures = new PhaseCaptures(options.capture, run0.handle, tracker, started);
  const onLine = (line: string, fromRecording = false) => {
    const tick = line.match(TICK_LINE);
    if (tick) deviceTicks.push(Number(tick[1]));
    else {
      const phase = recognisePhase(options.contract, line);
      if (phase && !fromRecording) {
        tracker.start(phase);
        captures.phaseStarted(phase);
      }
      options.onOutput?.(`${line}\n`);
    }
  };
  if (from) {
    for (const line of from.raw
      .slice(0, from.raw.lastIndexOf('\n') + 1)
      .split('\n')
      .slice(0, -1))
      onLine(line, true);
    tracker.resumeAt(from.phases, from.phase);
  }
  const lines = lineSplitter(onLine);
  if (from) lines(from.raw.slice(from.raw.lastIndexOf('\n') + 1)); // a partial last line: read again below
  // The cut is the end of following: a connection attempt or a read under way is dropped at once.
  const cutDone = from && lostIsCut ? tracker.injected().then(settled, settled) : undefined;
  // Detached from the SSH session: a network fault must not kill the updater through its session.
  const followed = await followDetached(device, run0.handle, {
    timeoutMs: options.timeoutMs ?? 15 * 60_000,
    // A link fault holds the link down for its outage, which may outlast a boot (network-down outlasts
    // the updaters' pull retries): reconnects then wait up to the run's deadline.
    reconnectTimeoutMs:
      options.at?.connection === 'resumes' ? (options.timeoutMs ?? 15 * 60_000) : rig.config.bootTimeoutSeconds * 1000,
    onConnectionLost: () => (tracker.injecting && lostIsCut ? 'give-up' : 'reconnect'),
    onOutput: (chunk) => {
      captures.read(chunk);
      lines(chunk);
    },
    offset: from ? Buffer.byteLength(from.raw, 'utf8') : undefined,
    stopped: cutDone,
  });
  const sshAtExit = device.sshTraffic.total();
  await captures.done();
  const result: DetachedRunResult = from ? { ...followed, output: from.raw + followed.output } : followed;
  const exitedAt = Date.now();
  const injected = await tracker.end(exitedAt);
  const run: HupRun = {
    ...readResult(result, options.contract),
    script: options.script,
    args: options.args,
    phases: tracker.phases,
    reboots: 0,
    durationMs: exitedAt - started,
    exitedAt,
    injected,
    deviceTicks,
    ...(run0.sshAtStart && { sshDuringRun: sshBytesBetween(run0.sshAtStart, sshAtExit) }),
  };

  // Note: after a power cut injected into this run the board is off: the reboot the updater scheduled
  // cannot happen (the caller powers the board on), even when its exit 0 was read before the cut.
  const cut = injected !== undefined && lostIsCut;
  const noReboot = options.args.includes(options.contract.flags.noReboot);
  const expectReboot = options.expectReboot ?? (run.exitCode === 0 && !cut && !noReboot);
  if (expectReboot) {
    // A product wait: the OS the updater installed must boot and answer.
    const back = await board.followReboot(`the OS after ${path.basename(options.script)} rebooted the device`);
    run.rebootMs = Date.now() - exitedAt - (back.sshMs - back.loginMs);
    run.sshBackMs = Date.now() - exitedAt;
  }
  run.reboots = rig.console.bootEvents.boots - bootsBefore;
  run.logPath ??= run0.logs ? await newLogAfter(device, options.contract, run0.logs) : undefined;
  if (run.logPath) {
    const read = await device.exec(`cat ${shellQuote(run.logPath)}`).catch(() => undefined);
    if (read?.exitCode === 0 && read.stdout.trim()) run.log = read.stdout.trimEnd();
  }
  run.rerunRequested = run.exitCode === 0 && asksRerun(options.contract, run.output);
  if (run.rerunRequested && expectReboot && (options.rerunAfterPreStep ?? true)) {
    const rerun = await step('run the updater again after its pre-step', () =>
      runUpdater(board, {
        ...options,
        rerunAfterPreStep: false,
        at: injected ? undefined : options.at,
        capture: undefined,
      }),
    );
    return { ...rerun, preStep: run };
  }
  return run;
}

const settled = () => undefined;

/** A one-line summary of a run for reports and assertion messages. */
export function describeRun(run: HupRun): string {
  const phases = run.phases.map((p) => `${p.name} ${(p.durationMs / 1000).toFixed(1)}s`).join(', ');
  return `exit ${run.exitCode} (${run.outcome}) after ${(run.durationMs / 1000).toFixed(1)}s; phases: ${phases || 'none'}${run.error ? `; ${run.error}` : ''}`;
}

export const MiB = 1024 * 1024;
