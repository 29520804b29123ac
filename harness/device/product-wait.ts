// Waits whose subject is the product: the updated OS reaching its login prompt or SSH, a rollback
// showing on the console, services coming back. When one runs out, the product did not get there —
// a product failure, counted and reported as one and never retried — unless the rig itself was not
// sound while it waited (QEMU gone, the console transport detached), which stays an InfraError.
// Its timeout is the board's time: a QEMU board starved of CPU by a loaded host is waited for until
// it has had that time (up to 3× the wall time), and is not judged when it never got it.
// Rig-side waits (QEMU or the bench starting, the source image's first boot, the lease, the
// registry container) keep throwing WaitTimeoutError. README "Retries" lists both sides.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { InfraError, ProductWaitError, WaitTimeoutError } from '../errors.ts';
import type { Rig } from '../rig/rig.ts';
import type { Device } from './device.ts';

/**
 * Runs `wait(timeoutMs)`; a WaitTimeoutError out of it becomes a ProductWaitError naming `what` (with
 * the rig's own account of its power and console), or an InfraError when the rig reports it was at
 * fault. The timeout is the board's time: on a host so loaded that the emulator got less CPU than
 * the wait promised it, the wait goes on (up to three times as long) before it judges the product.
 */
export async function expectOnDevice<T>(
  rig: Rig,
  what: string,
  wait: (timeoutMs: number) => Promise<T>,
  timeoutMs: number,
): Promise<T> {
  const started = Date.now();
  const clock = new BoardClock(rig);
  const sampler = setInterval(() => clock.sample(), 2000);
  try {
    for (let remaining = timeoutMs; ; ) {
      try {
        return await wait(remaining);
      } catch (error) {
        if (!(error instanceof WaitTimeoutError)) throw error;
        clock.sample();
        const wallMs = Date.now() - started;
        const boardMs = clock.cpuMs();
        const starved = boardMs !== undefined && boardMs < timeoutMs * 0.8 && os.loadavg()[0]! > os.cpus().length;
        if (starved && wallMs < timeoutMs * 3) {
          remaining = Math.min(timeoutMs - boardMs + 5000, timeoutMs * 3 - wallMs);
          rig.console.note(
            `${what}: the board had ${(boardMs / 1000).toFixed(0)} s of CPU in ${(wallMs / 1000).toFixed(0)} s (host load ${os.loadavg()[0]!.toFixed(1)}): waiting ${(remaining / 1000).toFixed(0)} s more`,
          );
          continue;
        }
        const health = rigHealth(rig);
        const cpu =
          boardMs === undefined
            ? ''
            : `; the board had ${(boardMs / 1000).toFixed(0)} s of CPU in the ${(wallMs / 1000).toFixed(0)} s waited`;
        const report = `Rig: ${health.report}${cpu}`;
        if (health.fault)
          throw new InfraError(
            `${what}: the rig failed while the harness waited (${health.fault}).\n${report}\n${error.message}`,
            { cause: error },
          );
        if (starved)
          throw new InfraError(
            `${what}: not judged: this host starved the board of CPU for ${(wallMs / 1000).toFixed(0)} s.\n${report}\n${error.message}`,
            { cause: error },
          );
        throw productWaitError(rig.config.name, what, `${error.message}\n${report}`, error);
      }
    }
  } finally {
    clearInterval(sampler);
  }
}

/** CPU time the board's emulator process got since the wait began, across relaunches (from /proc). */
class BoardClock {
  private usedTicks = 0;
  private last?: { pid: number; ticks: number };
  private readonly measurable: boolean;

  constructor(private readonly rig: Rig) {
    this.measurable = typeof rig.boardPid === 'function';
    this.sample();
    // The wait starts now: what the process used before does not count.
    this.usedTicks = 0;
  }

  sample(): void {
    const pid = this.rig.boardPid?.();
    const ticks = pid === undefined ? undefined : processTicks(pid);
    if (pid === undefined || ticks === undefined) return;
    // A process started during the wait (a relaunch after a reset) counts from its start.
    this.usedTicks += this.last?.pid === pid ? ticks - this.last.ticks : this.last ? ticks : 0;
    this.last = { pid, ticks };
  }

  cpuMs(): number | undefined {
    return this.measurable ? (this.usedTicks / CLOCK_TICKS) * 1000 : undefined;
  }
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat's utime and stime. */
const CLOCK_TICKS = 100;

function processTicks(pid: number): number | undefined {
  try {
    // Note: the command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** The updated (or rolled-back) OS up again after a reboot: login prompt on the console, then SSH. */
export async function expectOsBack(
  rig: Rig,
  device: Device,
  what: string,
): Promise<{ loginMs: number; sshMs: number }> {
  const started = Date.now();
  const bootMs = rig.config.bootTimeoutSeconds * 1000;
  const promptWhat = `Login prompt on ${rig.config.name} (boot timeout ${rig.config.bootTimeoutSeconds}s from the rig file)`;
  await expectOnDevice(
    rig,
    `${what}: the login prompt`,
    (timeoutMs) => rig.console.expect(/login: ?$/m, { timeoutMs, what: promptWhat }),
    bootMs,
  );
  const loginMs = Date.now() - started;
  await expectOnDevice(rig, `${what}: SSH`, (timeoutMs) => device.connect(timeoutMs), bootMs);
  return { loginMs, sshMs: Date.now() - started };
}

/** A console pattern whose appearance is the product's doing (a rollback message, a boot-limit warning). */
export function expectOnConsole(
  rig: Rig,
  pattern: RegExp,
  opts: { timeoutMs: number; what: string },
): Promise<RegExpExecArray> {
  return expectOnDevice(
    rig,
    opts.what,
    (timeoutMs) => rig.console.expect(pattern, { ...opts, timeoutMs }),
    opts.timeoutMs,
  );
}

/**
 * The error of a product wait that ran out. Its second line has the form of a failed matcher
 * (`expect(<rig>).toReach(…)`), which is how JUnit readers and Playwright's JUnit reporter tell an
 * assertion failure (`<failure>`) from an error (`<error>`): a product wait is an assertion.
 */
export function productWaitError(rigName: string, what: string, details: string, cause?: unknown): ProductWaitError {
  return new ProductWaitError(
    `${what}: did not happen.\nexpect(${rigName}).toReach(${JSON.stringify(what)}) failed: ${details}`,
    { cause },
  );
}

/**
 * The rig's account of itself while a product wait ran out; `fault` when the rig, not the OS, failed:
 * the console line is gone (detached, or its transport closed: QEMU exited, the console server
 * dropped it).
 */
function rigHealth(rig: Rig): { fault?: string; report: string } {
  const report = `${rig.powerReport()}; host load ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`;
  return { report, fault: rig.console.attached ? undefined : 'the console line is gone' };
}
