// Waiting for a condition, never for a fixed time: every wait has a deadline and, when it runs out,
// an error that says what it waited for.
import { WaitTimeoutError } from './errors.ts';

export interface WaitOptions {
  timeoutMs: number;
  /** What is being waited for, e.g. `SSH on 127.0.0.1:4022`. */
  what: string;
  /** Extra context appended to the timeout error (last console lines, last error). */
  details?: () => string;
  intervalMs?: number;
}

/** Polls `probe` until it returns a value other than undefined, with backoff up to 1 s. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, opts: WaitOptions): Promise<T> {
  const started = Date.now();
  let interval = opts.intervalMs ?? 100;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started >= opts.timeoutMs) {
      const cause = lastError instanceof Error ? `\nLast error: ${lastError.message}` : '';
      const details = opts.details ? `\n${opts.details()}` : '';
      throw new WaitTimeoutError(`${opts.what} not reached after ${opts.timeoutMs}ms${cause}${details}`);
    }
    await new Promise((r) => setTimeout(r, interval));
    interval = Math.min(interval * 2, 1000);
  }
}
