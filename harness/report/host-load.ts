// The host's load while a test ran, kept with the test as an annotation (`host-load`): the mean and
// the highest 1-minute load average sampled every 15 s, and the host's cores. The matrix estimate
// (bench/recorded-runs.ts) tells by it a duration recorded on a host as busy as a nightly makes it
// (its own boards) from one recorded beside other work, which runs every TCG board slower.
import os from 'node:os';

export interface HostLoad {
  mean: number;
  max: number;
  cores: number;
}

const ANNOTATION = 'host-load';

/** Starts sampling; `stop()` gives the load over the time between. */
export function sampleHostLoad(intervalMs = 15_000): { stop(): HostLoad } {
  const samples = [os.loadavg()[0]!];
  const timer = setInterval(() => samples.push(os.loadavg()[0]!), intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      samples.push(os.loadavg()[0]!);
      const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
      return { mean: round(mean), max: round(Math.max(...samples)), cores: os.cpus().length };
    },
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

export const hostLoadAnnotation = (l: HostLoad) => ({
  type: ANNOTATION,
  description: `mean ${l.mean}, max ${l.max}, ${l.cores} cores`,
});

/** The load of the last attempt that recorded one, from a test's annotations. */
export function hostLoadOf(annotations: ReadonlyArray<{ type: string; description?: string }>): HostLoad | undefined {
  const a = annotations.filter((x) => x.type === ANNOTATION).at(-1);
  const m = a?.description?.match(/^mean ([\d.]+), max ([\d.]+), (\d+) cores$/);
  return m ? { mean: Number(m[1]), max: Number(m[2]), cores: Number(m[3]) } : undefined;
}
