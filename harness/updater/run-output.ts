// The updater as the device runs it, and what its output says: the wrapped command (network counters,
// exit code and a liveness ticker around the updater), whole lines out of streamed chunks, and the
// run's result read through the updater's contract (exit meaning, error line, log path).
import { UPLINK_STATS } from '../device/uplink-counters.ts';
import type { DetachedRunResult } from './detached-run.ts';
import { errorLine, exitMeaning, logPathIn } from './profiles/contract.ts';
import type { UpdaterContract } from './profiles/types.ts';

export type HupOutcome = 'ok' | 'failed' | 'locked' | 'connection-lost';

const COUNTERS = 'hupbench-counters';
const TICK = 'hupbench-tick';

export const TICK_LINE = new RegExp(`^${TICK} (\\d+)$`);

/**
 * The updater wrapped for the device: its network counters and exit code on one closing line (read
 * in the same session as the run, so the reboot that follows cannot race them) and a liveness ticker.
 */
export function wrappedCommand(remote: string, args: string[]): string {
  return [
    UPLINK_STATS,
    'rx0=$(cat $s/rx_bytes); tx0=$(cat $s/tx_bytes)',
    // A liveness ticker in RAM beside the updater: when the app's heartbeat stops and this does too,
    // the whole device stalled (e.g. an overloaded host starving the emulator), not the app.
    `(while :; do echo "${TICK} $(date +%s)"; sleep 1; done) & tick=$!`,
    `sh ${shellQuote(remote)} ${args.map(shellQuote).join(' ')}`,
    'rc=$?',
    'kill $tick',
    // The exit code rides on this line too: an updater's own reboot may end /run (and the detached
    // runner's exit-code file) before the follower reads it.
    `echo "${COUNTERS} rx=$(($(cat $s/rx_bytes) - rx0)) tx=$(($(cat $s/tx_bytes) - tx0)) iface=$iface rc=$rc"`,
    '(exit $rc)', // the run's status, for the detached runner to record
  ].join('; ');
}

/** Calls `onLine` for each whole line of a stream that arrives in chunks. */
export function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
}

const outcomes = { ok: 'ok', locked: 'locked', failed: 'failed', 'step-done': 'failed', 'already-there': 'failed' };

/** What the wrapped command's output says about the run: exit code, outcome, bytes, the error line. */
export function readResult(result: DetachedRunResult, contract: UpdaterContract) {
  const counters = result.output.match(new RegExp(`${COUNTERS} rx=(-?\\d+) tx=(-?\\d+) iface=\\S* rc=(\\d+)`));
  const output = result.output.replace(new RegExp(`^(${COUNTERS}|${TICK}) .*$\\n?`, 'gm'), '').trimEnd();
  const exitCode = result.exitCode ?? (counters ? Number(counters[3]) : 255);
  const outcome: HupOutcome = !counters ? 'connection-lost' : (outcomes[exitMeaning(contract, exitCode)] as HupOutcome);
  const error =
    errorLine(contract, output) ??
    (result.vanished && !counters
      ? 'the device rebooted before the runner read how the updater ended (its output and exit code were in tmpfs)'
      : undefined);
  return {
    exitCode,
    outcome,
    output,
    log: output,
    logPath: logPathIn(contract, output),
    error,
    bytesReceived: Number(counters?.[1] ?? 0),
    bytesSent: Number(counters?.[2] ?? 0),
  };
}

export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
