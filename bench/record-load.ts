// How busy the host was when a duration was recorded, and which records an estimate believes. A
// nightly puts its own boards on the host (2 workers: two TCG boards on two cores); a duration
// recorded beside other work (helpers' boards, a build) is slower than the nightly will be, one
// recorded alone is faster. Since host-load annotations (harness/report/host-load.ts) every summary
// row says its load; older runs are classed by when they ran, where that is known, else unknown.
import type { HostLoad } from '../harness/report/host-load.ts';
import { median } from './stats.ts';

export type LoadClass = 'nightly' | 'unknown' | 'loaded';

export interface RecordedPass {
  ms: number;
  load: LoadClass;
}

/**
 * The mean 1-minute load average per core up to which a run counts as at a nightly's own load: two
 * boards on two cores averaged 1.8–2.5 over a test (host-load annotations, stop 32; `uptime` read up
 * to 3.4), four agents' boards 5–11 (stop 31).
 */
export const NIGHTLY_LOAD_PER_CORE = 1.75;

/** Runs whose summaries predate host-load annotations, classed by their start (summary.json's startedAt). */
export const knownLoads: Array<{ from: string; to: string; load: LoadClass; why: string }> = [
  {
    from: '2026-11-29T18:20:00Z',
    to: '2026-11-29T21:30:00Z',
    load: 'loaded',
    why: 'stop 31: four agents ran boards on the 2-core host at once, load average 5–11',
  },
  {
    from: '2026-11-29T21:45:00Z',
    to: '2026-11-29T21:55:00Z',
    load: 'nightly',
    why: "stop 32's first two runs (the profiles suite on the BeagleBone, the Pi's paths): two boards, load average 2.6–3.4",
  },
];

export function loadClass(hostLoad: HostLoad | undefined, startedAt: Date): LoadClass {
  if (hostLoad) return hostLoad.mean / hostLoad.cores <= NIGHTLY_LOAD_PER_CORE ? 'nightly' : 'loaded';
  const known = knownLoads.find((k) => startedAt >= new Date(k.from) && startedAt < new Date(k.to));
  return known?.load ?? 'unknown';
}

export interface LoadCorrection {
  /** Median over the tests recorded both ways of (nightly median ÷ loaded median); 1 when too few. */
  factor: number;
  /** How many tests it comes from. */
  tests: number;
}

/** What a loaded record is worth at a nightly's load, from the tests that have both kinds. */
export function loadCorrection(all: Iterable<RecordedPass[]>): LoadCorrection {
  const ratios: number[] = [];
  for (const passes of all) {
    const nightly = passes.filter((p) => p.load === 'nightly').map((p) => p.ms);
    const loaded = passes.filter((p) => p.load === 'loaded').map((p) => p.ms);
    if (nightly.length && loaded.length) ratios.push(median(nightly) / median(loaded));
  }
  return ratios.length >= 3 ? { factor: median(ratios), tests: ratios.length } : { factor: 1, tests: ratios.length };
}

/**
 * A test's duration at a nightly's load: the median of its records at that load; else, when the
 * correction is measured, of its loaded ones times it (they are the newest: stop 31 changed what
 * several tests do, and their older records of unknown load predate that); else of those of unknown
 * load as they are; else of the loaded ones as they are.
 */
export function nightlyDuration(passes: RecordedPass[], correction: LoadCorrection): { ms: number; load: LoadClass } {
  const of = (load: LoadClass) => passes.filter((p) => p.load === load).map((p) => p.ms);
  const [nightly, loaded, unknown] = [of('nightly'), of('loaded'), of('unknown')];
  if (nightly.length) return { ms: median(nightly), load: 'nightly' };
  if (loaded.length && correction.tests >= 3) return { ms: median(loaded) * correction.factor, load: 'loaded' };
  if (unknown.length) return { ms: median(unknown), load: 'unknown' };
  return { ms: median(loaded), load: 'loaded' };
}
