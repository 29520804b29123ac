// Runs an updater script on the device: uploads it, runs it with flags while streaming its output,
// turns `[hup] phase=<name>` lines into steps with timings, counts the device's network bytes, follows
// the reboot on the serial console and reconnects SSH. Not tied to Playwright: pass `step` (e.g.
// `(name, body) => test.step(name, body)`) to see each phase as a step.
import path from 'node:path';
import type { Device } from '../device/device.ts';
import { expectOsBack } from '../device/product-wait.ts';
import type { Rig } from '../rig/rig.ts';
import { runDetached } from './detached-run.ts';

export interface HupPhase {
  name: string;
  /** Milliseconds since the updater was started. */
  startedAtMs: number;
  durationMs: number;
}

export type HupOutcome = 'ok' | 'failed' | 'locked' | 'connection-lost';

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
  /** The `[hup] ... error: ...` line of a failed run. */
  error?: string;
  /** Reboots the console saw from the start of the run to the login prompt after it. */
  reboots: number;
  /** Bytes on the device's network interface while the updater ran (before the reboot). */
  bytesReceived: number;
  bytesSent: number;
  /** Updater start → exit, ms. */
  durationMs: number;
  /** Updater exit → login prompt after the reboot, ms (when it rebooted). */
  rebootMs?: number;
  /** Updater exit → SSH answering after the reboot, ms. */
  sshBackMs?: number;
  /** Host clock when the updater exited (ms since the epoch). */
  exitedAt: number;
  /**
   * The updater asked to be run again after its reboot (a `[hup] rerun:` line: a pre-step, such as
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
  args: string[];
  /** Wraps each phase (and the reboot) in a step; defaults to just running the body. */
  step?: StepRunner;
  /** Where the script goes on the device. */
  remotePath?: string;
  /** Wait for the reboot and reconnect; default: when the run succeeded without --no-reboot. */
  expectReboot?: boolean;
  timeoutMs?: number;
  onOutput?: (chunk: string) => void;
  /**
   * Fault injection: `action` runs when `phase` starts (or `afterMs` into it). `connection` says what
   * the action does to SSH: 'lost' (a power cut: stop following the run) or 'resumes' (a network
   * outage: reconnect and follow the run to its end). Default 'lost'.
   */
  at?: { phase: string; afterMs?: number; action: () => Promise<void>; connection?: 'lost' | 'resumes' };
  /** Run the updater again after the reboot when it asks to (`[hup] rerun:`); default true. */
  rerunAfterPreStep?: boolean;
}

const COUNTERS = 'hupbench-counters';
const TICK = 'hupbench-tick';

export async function runUpdater(device: Device, rig: Rig, options: RunUpdaterOptions): Promise<HupRun> {
  const step: StepRunner = options.step ?? ((_, body) => body());
  const remote = options.remotePath ?? `/tmp/${path.basename(options.script)}`;
  await device.put(options.script, remote, 0o755);

  const quoted = options.args.map(shellQuote).join(' ');
  // Counters read in the same session as the run, so the reboot that follows cannot race them.
  const command = [
    "iface=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)",
    's=/sys/class/net/$iface/statistics',
    'rx0=$(cat $s/rx_bytes); tx0=$(cat $s/tx_bytes)',
    // A liveness ticker in RAM beside the updater: when the app's heartbeat stops and this does too,
    // the whole device stalled (e.g. an overloaded host starving the emulator), not the app.
    `(while :; do echo "${TICK} $(date +%s)"; sleep 1; done) & tick=$!`,
    `sh ${shellQuote(remote)} ${quoted}`,
    'rc=$?',
    'kill $tick',
    // The exit code rides on this line too: an updater's own reboot may end /run (and the detached
    // runner's exit-code file) before the follower reads it.
    `echo "${COUNTERS} rx=$(($(cat $s/rx_bytes) - rx0)) tx=$(($(cat $s/tx_bytes) - tx0)) iface=$iface rc=$rc"`,
    '(exit $rc)', // the run's status, for the detached runner to record
  ].join('; ');

  const bootsBefore = rig.console.bootEvents.boots;
  const started = Date.now();
  const phases: HupPhase[] = [];
  let injection: Promise<{ phase: string; atMs: number }> | undefined;
  const deviceTicks: number[] = [];
  let closeCurrent: (() => void) | undefined;
  let steps: Promise<unknown> = Promise.resolve();
  const startPhase = (name: string) => {
    const now = Date.now() - started;
    const last = phases.at(-1);
    if (last) last.durationMs = now - last.startedAtMs;
    closeCurrent?.();
    phases.push({ name, startedAtMs: now, durationMs: 0 });
    if (options.at && options.at.phase === name && !injection) {
      const { action, afterMs = 0 } = options.at;
      injection = new Promise<{ phase: string; atMs: number }>((resolve) => setTimeout(resolve, afterMs)).then(
        async () => {
          const atMs = Date.now() - started;
          await action();
          return { phase: name, atMs };
        },
      );
      injection.catch(() => undefined); // awaited (and rethrown) once the updater returns
    }
    const done = new Promise<void>((resolve) => (closeCurrent = resolve));
    steps = steps.then(() => step(`updater phase: ${name}`, () => done)).catch(() => undefined);
  };

  let partial = '';
  // Detached from the SSH session: a network fault must not kill the updater through its session.
  const result = await runDetached(device, {
    command,
    timeoutMs: options.timeoutMs ?? 15 * 60_000,
    reconnectTimeoutMs: rig.config.bootTimeoutSeconds * 1000,
    onConnectionLost: () => (injection && (options.at?.connection ?? 'lost') === 'lost' ? 'give-up' : 'reconnect'),
    onOutput: (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      const shown: string[] = [];
      for (const line of lines) {
        const tick = line.match(new RegExp(`^${TICK} (\\d+)$`));
        if (tick) {
          deviceTicks.push(Number(tick[1]));
          continue;
        }
        shown.push(line);
        const m = line.match(/^\[hup\] phase=(\S+)/);
        if (m) startPhase(m[1]!);
      }
      if (shown.length) options.onOutput?.(shown.map((l) => `${l}\n`).join(''));
    },
  });
  const exitedAt = Date.now();
  const injected = injection ? await injection : undefined;
  const last = phases.at(-1);
  if (last) last.durationMs = exitedAt - started - last.startedAtMs;
  closeCurrent?.();
  await steps;

  const counters = result.output.match(new RegExp(`${COUNTERS} rx=(-?\\d+) tx=(-?\\d+) iface=\\S* rc=(\\d+)`));
  const output = result.output.replace(new RegExp(`^(${COUNTERS}|${TICK}) .*$\\n?`, 'gm'), '').trimEnd();
  const logPath =
    output.match(/\[hup\] .*log: (\/mnt\/data\/resinhup\/\S+)/)?.[1] ??
    output.match(/log (\/mnt\/data\/resinhup\/\S+\.log)/)?.[1];
  const exitCode = result.exitCode ?? (counters ? Number(counters[3]) : 255);
  const outcome: HupOutcome = !counters
    ? 'connection-lost'
    : exitCode === 0
      ? 'ok'
      : exitCode === 9
        ? 'locked'
        : 'failed';
  const error =
    output.split('\n').find((l) => /^\[hup\] .*error: /.test(l)) ??
    (result.vanished && !counters
      ? 'the device rebooted before the runner read how the updater ended (its output and exit code were in tmpfs)'
      : undefined);
  const run: HupRun = {
    script: options.script,
    args: options.args,
    exitCode,
    outcome,
    phases,
    output,
    log: output,
    logPath,
    error,
    reboots: 0,
    bytesReceived: Number(counters?.[1] ?? 0),
    bytesSent: Number(counters?.[2] ?? 0),
    durationMs: exitedAt - started,
    exitedAt,
    injected,
    deviceTicks,
  };

  // Note: after a power cut injected into this run the board is off: the reboot the updater scheduled
  // cannot happen (the caller powers the board on), even when its exit 0 was read before the cut.
  const cut = injected !== undefined && (options.at?.connection ?? 'lost') === 'lost';
  const expectReboot = options.expectReboot ?? (exitCode === 0 && !cut && !options.args.includes('--no-reboot'));
  if (expectReboot) {
    await step('reboot into the new OS', async () => {
      await device.disconnect();
      // A product wait: the OS the updater installed must boot and answer.
      const back = await expectOsBack(rig, device, `the OS after ${path.basename(options.script)} rebooted the device`);
      run.rebootMs = Date.now() - exitedAt - (back.sshMs - back.loginMs);
      run.sshBackMs = Date.now() - exitedAt;
    });
  }
  run.reboots = rig.console.bootEvents.boots - bootsBefore;
  if (logPath) {
    const read = await device.exec(`cat ${shellQuote(logPath)}`).catch(() => undefined);
    if (read?.exitCode === 0 && read.stdout.trim()) run.log = read.stdout.trimEnd();
  }
  run.rerunRequested = exitCode === 0 && /^\[hup\] rerun:/m.test(output);
  if (run.rerunRequested && expectReboot && (options.rerunAfterPreStep ?? true)) {
    const rerun = await step('run the updater again after its pre-step', () =>
      runUpdater(device, rig, { ...options, rerunAfterPreStep: false, at: injected ? undefined : options.at }),
    );
    return { ...rerun, preStep: run };
  }
  return run;
}

/** A one-line summary of a run for reports and assertion messages. */
export function describeRun(run: HupRun): string {
  const phases = run.phases.map((p) => `${p.name} ${(p.durationMs / 1000).toFixed(1)}s`).join(', ');
  return `exit ${run.exitCode} (${run.outcome}) after ${(run.durationMs / 1000).toFixed(1)}s; phases: ${phases || 'none'}${run.error ? `; ${run.error}` : ''}`;
}

export const MiB = 1024 * 1024;

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
