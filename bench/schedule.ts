// How long a list of tests takes on this host with N workers, scheduled the way Playwright's
// dispatcher does it: the tests queue in the order of their projects (rigs, in playwright.config.ts's
// order: harness/matrix/rig-order.ts) and, within a rig, as listed; a free worker takes the first
// queued test whose rig runs fewer tests than it has instances (the project's `workers` limit).
// Boards that run at once share the host's cores: while others run beside it, a test progresses
// `contention(rig, others)` times slower than alone.

export interface TimedTest {
  rig: string;
  /** Its duration alone on the host. */
  ms: number;
}

/** How many times slower a test of `rig` runs while tests of `others` run beside it (1 when none do). */
export type Contention = (rig: string, others: string[]) => number;

/** The same slowdown for every pair of boards. */
export const uniformContention =
  (factor: number): Contention =>
  (_rig, others) =>
    others.length ? factor : 1;

/** `tests` in queue order; returns the wall time (ms) until the last one ends. */
export function scheduleMs(
  tests: TimedTest[],
  workers: number,
  instances: Record<string, number>,
  contention: Contention = uniformContention(1),
): number {
  const queue = [...tests];
  // `left`: ms of work alone still to do.
  const running: Array<{ rig: string; left: number }> = [];
  let now = 0;
  while (queue.length || running.length) {
    // Fill every free worker with the first test its rig can take now.
    for (let i = 0; i < queue.length && running.length < workers; ) {
      const t = queue[i]!;
      if (running.filter((r) => r.rig === t.rig).length < Math.max(1, instances[t.rig] ?? 1)) {
        running.push({ rig: t.rig, left: t.ms });
        queue.splice(i, 1);
      } else i++;
    }
    if (!running.length) break;
    // Advance to the next test that ends, at the speeds of the boards running now.
    const slow = running.map((r, i) =>
      contention(
        r.rig,
        running.filter((_, j) => j !== i).map((o) => o.rig),
      ),
    );
    const step = Math.min(...running.map((r, i) => r.left * slow[i]!));
    now += step;
    running.forEach((r, i) => {
      r.left -= step / slow[i]!;
    });
    for (let i = running.length - 1; i >= 0; i--) if (running[i]!.left <= 1e-6) running.splice(i, 1);
  }
  return now;
}
