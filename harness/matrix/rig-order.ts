// Which rig a run starts first. Playwright hands a free worker the first queued test whose project is
// below its `workers` limit (a rig's instances), in the order the projects are configured. A rig with
// one instance and long tests (the Pi: one instance, ~2.7× slower than the BeagleBone) is then the
// run's critical path: queued after the others, it starts last and runs alone at the end while the
// other workers idle (fresh-clone `npm test`: the Pi's 2.x path started at 765 s of 1271 s). Started
// first, it runs beside everything else.
import { recordedDurations } from './recorded-durations.ts';

export interface RigLoad {
  name: string;
  instances: number;
}

/** Rigs by recorded median test duration per instance, longest first; rigs with no record last, by name. */
export function rigsByLoad<T extends RigLoad>(rigs: T[], durations = recordedDurations()): T[] {
  const perInstance = new Map(rigs.map((r) => [r.name, medianOf(durations, r.name) / Math.max(1, r.instances)]));
  return [...rigs].sort((a, b) => {
    const [x, y] = [perInstance.get(a.name)!, perInstance.get(b.name)!];
    return y - x || a.name.localeCompare(b.name);
  });
}

function medianOf(durations: Record<string, number>, rig: string): number {
  const prefix = `[${rig}] › `;
  const ms = Object.entries(durations)
    .filter(([key]) => key.startsWith(prefix))
    .map(([, v]) => v)
    .sort((a, b) => a - b);
  return ms.length ? ms[Math.floor(ms.length / 2)]! : 0;
}
