// Runs a long command on the device detached from the SSH session that started it (its own session,
// output to a file) and follows that file. A dropped connection (the network went down, the link
// flapped) neither kills the command (no SIGHUP, no broken stdout) nor loses output: the follower
// reconnects and goes on from the byte it had reached. A run the device already has (a board resumed
// from a phase snapshot, its updater under way) is followed the same way from where it stood.
import type { Device } from '../device/device.ts';

export interface DetachedRunOptions {
  /** Shell command line; runs under `sh -c` in its own session. */
  command: string;
  /** Total time the command may take, ms. */
  timeoutMs: number;
  onOutput?: (chunk: string) => void;
  /** Asked when the connection dropped: reconnect and follow on, or give up (the board lost power). */
  onConnectionLost: () => 'reconnect' | 'give-up';
  /** How long to try to reach the device again, ms. */
  reconnectTimeoutMs: number;
}

export interface DetachedRunResult {
  /** Undefined when the follower gave up before the command ended, or its files vanished. */
  exitCode?: number;
  /**
   * The command's files were gone when the follower came back: the device rebooted (they live in
   * tmpfs) before the exit code was read, e.g. an updater's own reboot under a slow link.
   */
  vanished?: boolean;
  output: string;
  /** Times the connection dropped and was made again while following. */
  reconnects: number;
}

const RC_MARK = '__HUPBENCH_RC_';
const GONE_MARK = '__HUPBENCH_GONE__';

/** Where a detached command's output and exit code live on the device (tmpfs: gone after a boot). */
export interface DetachedHandle {
  out: string;
  rc: string;
}

export interface FollowOptions extends Omit<DetachedRunOptions, 'command'> {
  /** Bytes of the output file already read (by the follower that started the run): follow on from there. */
  offset?: number;
  /**
   * Resolves when following is pointless (the board lost power on purpose): a connection attempt under
   * way is abandoned rather than waited out.
   */
  stopped?: Promise<void>;
}

export async function runDetached(device: Device, options: DetachedRunOptions): Promise<DetachedRunResult> {
  return followDetached(device, await startDetached(device, options.command), options);
}

/** Starts `command` on the device in its own session, output to a file; returns where to follow it. */
export async function startDetached(device: Device, command: string): Promise<DetachedHandle> {
  const id = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const handle = { out: `/run/hupbench/run-${id}.out`, rc: `/run/hupbench/run-${id}.rc` };
  const script = `${command}; echo $? > ${handle.rc}.new && mv ${handle.rc}.new ${handle.rc}`;
  // Note: the start is guarded by an atomic mkdir: an exec request the SSH server reported as refused
  // has been seen to run all the same, and its retry must not start a second updater.
  await device.check(
    `mkdir -p /run/hupbench && if mkdir /run/hupbench/run-${id}.started 2> /dev/null; then (setsid sh -c ${shellQuote(script)} > ${handle.out} 2>&1 < /dev/null &); fi`,
  );
  return handle;
}

/**
 * Follows a detached run from byte `offset` of its output to its exit code. `output` in the result
 * is what this follower read (from `offset` on). With no connection (a resumed board), it connects first.
 */
export async function followDetached(
  device: Device,
  { out, rc }: DetachedHandle,
  options: FollowOptions,
): Promise<DetachedRunResult> {
  let stopped = false;
  // Note: a board that lost power answers nothing: the exec under way would wait out SSH's keepalive
  // (20 s). Closing the connection ends it at once.
  options.stopped?.then(() => {
    stopped = true;
    return device.disconnect().catch(() => undefined);
  });
  const deadline = Date.now() + options.timeoutMs;
  let output = '';
  let reconnects = 0;
  const base = options.offset ?? 0;
  if (options.offset !== undefined && !(await connectUnlessStopped(device, options, deadline)))
    return { output, reconnects };
  for (;;) {
    const offset = base + Buffer.byteLength(output, 'utf8');
    // Copies whatever the file gained every 0.3 s; ends with the exit code once the command wrote it
    // and everything before it was copied.
    const follow = [
      // Note: /run is tmpfs: no output file means the device rebooted since the command started.
      `[ -f ${out} ] || { echo ${GONE_MARK}; exit 0; }`,
      `off=${offset}`,
      'while :; do',
      `  size=$(wc -c < ${out})`,
      `  if [ "$size" -gt "$off" ]; then tail -c +$((off + 1)) ${out} | head -c $((size - off)); off=$size; fi`,
      `  if [ -f ${rc} ] && [ "$(wc -c < ${out})" -eq "$off" ]; then break; fi`,
      '  sleep 0.3',
      'done',
      `echo "${RC_MARK}$(cat ${rc})"`,
    ].join('\n');
    let received = '';
    const result = await device
      .exec(follow, {
        timeoutMs: Math.max(1000, deadline - Date.now()),
        onStdout: (chunk) => {
          received += chunk;
          // Hold back what could be the start of the exit-code line.
          const cut = received.lastIndexOf('\n') + 1;
          const ready = received.slice(0, cut).replace(new RegExp(`^(${RC_MARK}\\d+|${GONE_MARK})\\n?`, 'm'), '');
          if (ready) {
            output += ready;
            options.onOutput?.(ready);
          }
          received = received.slice(cut);
        },
      })
      .catch((error: Error) => ({ exitCode: 255, stdout: '', stderr: error.message }));
    const rest = received.replace(new RegExp(`${RC_MARK}\\d+\\s*$`), '');
    if (rest) {
      output += rest;
      options.onOutput?.(rest);
    }
    const exit = (result.stdout ?? '').match(new RegExp(`${RC_MARK}(\\d+)`));
    if (exit) return { exitCode: Number(exit[1]), output, reconnects };
    if ((result.stdout ?? '').includes(GONE_MARK)) return { output, reconnects, vanished: true };
    if (Date.now() > deadline) return { output, reconnects };
    if (stopped || options.onConnectionLost() === 'give-up') return { output, reconnects };
    reconnects++;
    if (!(await connectUnlessStopped(device, options, deadline))) return { output, reconnects };
  }
}

/**
 * Connects again; false when `stopped` came first. Note: the abandoned attempt is closed and its
 * failure swallowed, so it neither holds a connection to the next boot nor rejects unhandled.
 */
async function connectUnlessStopped(device: Device, options: FollowOptions, deadline: number): Promise<boolean> {
  const connecting = device.connect(Math.min(options.reconnectTimeoutMs, Math.max(1000, deadline - Date.now())));
  if (!options.stopped) {
    await connecting;
    return true;
  }
  connecting.catch(() => undefined);
  const first = await Promise.race([
    connecting.then(() => 'connected' as const),
    options.stopped.then(() => 'stopped' as const),
  ]);
  if (first === 'connected') return true;
  await device.disconnect();
  return false;
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
