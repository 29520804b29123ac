// How long a list of tests takes on this host with N workers: Playwright hands each free worker the
// next test; a rig takes as many tests at once as it has instances (the lease makes the others
// wait). Longest first, onto the worker that frees first, starting when both it and an instance of
// the test's rig are free. `contention` stretches every test when several boards share the cores.

export interface TimedTest {
  rig: string;
  ms: number;
}

export function scheduleMs(tests: TimedTest[], workers: number, instances: Record<string, number>, contention = 1) {
  const free = Array.from({ length: workers }, () => 0);
  const rigFree = new Map<string, number[]>();
  const slotsOf = (rig: string) => {
    let slots = rigFree.get(rig);
    if (!slots) {
      slots = Array.from({ length: Math.max(1, instances[rig] ?? 1) }, () => 0);
      rigFree.set(rig, slots);
    }
    return slots;
  };
  for (const t of [...tests].sort((a, b) => b.ms - a.ms)) {
    const w = free.indexOf(Math.min(...free));
    const slots = slotsOf(t.rig);
    const s = slots.indexOf(Math.min(...slots));
    const end = Math.max(free[w]!, slots[s]!) + t.ms * contention;
    free[w] = end;
    slots[s] = end;
  }
  return Math.max(0, ...free);
}
