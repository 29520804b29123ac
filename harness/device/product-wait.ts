// Waits whose subject is the product: the updated OS reaching its login prompt or SSH, a rollback
// showing on the console, services coming back. When one runs out, the product did not get there —
// a product failure, counted and reported as one and never retried — unless the rig itself was not
// sound while it waited (QEMU gone, the console transport detached), which stays an InfraError.
// Rig-side waits (QEMU or the bench starting, the source image's first boot, the lease, the
// registry container) keep throwing WaitTimeoutError. README "Retries" lists both sides.
import { InfraError, ProductWaitError, WaitTimeoutError } from '../errors.ts';
import type { Rig } from '../rig/rig.ts';
import type { Device } from './device.ts';

/**
 * Runs `wait`; a WaitTimeoutError out of it becomes a ProductWaitError naming `what` (with the rig's
 * own account of its power and console), or an InfraError when the rig reports it was at fault.
 */
export async function expectOnDevice<T>(rig: Rig, what: string, wait: () => Promise<T>): Promise<T> {
  try {
    return await wait();
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
    const health = rigHealth(rig);
    const report = `Rig: ${health.report}`;
    if (health.fault) throw new InfraError(`${what}: the rig failed while the harness waited (${health.fault}).\n${report}\n${error.message}`, { cause: error });
    throw productWaitError(rig.config.name, what, `${error.message}\n${report}`, error);
  }
}

/**
 * The error of a product wait that ran out. Its second line has the form of a failed matcher
 * (`expect(<rig>).toReach(…)`), which is how JUnit readers and Playwright's JUnit reporter tell an
 * assertion failure (`<failure>`) from an error (`<error>`): a product wait is an assertion.
 */
export function productWaitError(rigName: string, what: string, details: string, cause?: unknown): ProductWaitError {
  return new ProductWaitError(`${what}: did not happen.\nexpect(${rigName}).toReach(${JSON.stringify(what)}) failed: ${details}`, { cause });
}

/** The updated (or rolled-back) OS up again after a reboot: login prompt on the console, then SSH. */
export async function expectOsBack(rig: Rig, device: Device, what: string): Promise<{ loginMs: number; sshMs: number }> {
  const started = Date.now();
  const bootMs = rig.config.bootTimeoutSeconds * 1000;
  await expectOnDevice(rig, `${what}: the login prompt`, () =>
    rig.console.expect(/login: ?$/m, { timeoutMs: bootMs, what: `Login prompt on ${rig.config.name} (boot timeout ${rig.config.bootTimeoutSeconds}s from the rig file)` }),
  );
  const loginMs = Date.now() - started;
  await expectOnDevice(rig, `${what}: SSH`, () => device.connect(bootMs));
  return { loginMs, sshMs: Date.now() - started };
}

/** A console pattern whose appearance is the product's doing (a rollback message, a boot-limit warning). */
export function expectOnConsole(rig: Rig, pattern: RegExp, opts: { timeoutMs: number; what: string }): Promise<RegExpExecArray> {
  return expectOnDevice(rig, opts.what, () => rig.console.expect(pattern, opts));
}

/**
 * The rig's account of itself while a product wait ran out; `fault` when the rig, not the OS, failed:
 * the console line is gone (detached, or its transport closed: QEMU exited, ser2net dropped it).
 */
function rigHealth(rig: Rig): { fault?: string; report: string } {
  const report = rig.powerReport();
  return { report, fault: rig.console.attached ? undefined : 'the console line is gone' };
}
