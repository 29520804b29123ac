// How long a list of tests takes on this host with N workers, scheduled the way Playwright's
// dispatcher does it: the tests queue in the order of their projects (rigs, in playwright.config.ts's
// order: harness/matrix/rig-order.ts) and, within a rig, as listed; a free worker takes the first
// queued test whose rig runs fewer tests than it has instances (the project's `workers` limit).
// `contention` stretches every test when several boards share the cores.

export interface TimedTest {
  rig: string;
  ms: number;
}

/** `tests` in queue order; returns the wall time (ms) until the last one ends. */
export function scheduleMs(tests: TimedTest[], workers: number, instances: Record<string, number>, contention = 1) {
  const queue = [...tests];
  const running: Array<{ rig: string; end: number }> = [];
  let now = 0;
  let end = 0;
  while (queue.length || running.length) {
    // Fill every free worker with the first test its rig can take now.
    for (let i = 0; i < queue.length && running.length < workers; ) {
      const t = queue[i]!;
      if (running.filter((r) => r.rig === t.rig).length < Math.max(1, instances[t.rig] ?? 1)) {
        running.push({ rig: t.rig, end: now + t.ms * contention });
        queue.splice(i, 1);
      } else i++;
    }
    // Advance to the next test that ends.
    running.sort((a, b) => a.end - b.end);
    const next = running.shift();
    if (!next) break;
    now = next.end;
    end = Math.max(end, now);
  }
  return end;
}
