// `npm run bench:matrix-estimate [-- --results DIR]… [--tier nightly|full]… [--contention X] [--save] [--out F]`:
// what one pass of the matrix costs on this host, per tier (the nightly's default tier, and `--full`
// as a release gate runs it), at 1 and at 2 workers, from the runs already recorded: the summary.json
// (or a benchmark's report.json) of every run folder under each DIR (default results/), and the
// committed bench/test-durations.json. Each test counts with the median of its recorded passes on its
// rig; one that never passed there, with its median on the rig with the most records times how much
// slower its rig is (from the tests both ran, or the recorded ratio below when they share none);
// failing that, with the median of its suite file on its rig. 2 workers: the tests scheduled as
// Playwright's dispatcher takes them (bench/schedule.ts: the rigs in the configured order, each up to
// its instances), each slowed while another board runs beside it (more beside a board that takes every core). `--save` writes the medians to bench/test-durations.json (the shards
// are balanced by it too). Recorded runs saw different host loads: this is an estimate.
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { durationsFile } from '../harness/matrix/recorded-durations.ts';
import type { TierName } from '../harness/matrix/tiers.ts';
import { projectRoot } from '../harness/project-root.ts';
import { loadRigConfig } from '../harness/rig/rig-config.ts';
import { rigsByLoad } from '../harness/matrix/rig-order.ts';
import { option, options } from './argv.ts';
import { listMatrix, type MatrixTest, passKey, recordedPasses, recordsValidFrom } from './recorded-runs.ts';
import { writeSection } from './results-file.ts';
import { type Contention, scheduleMs } from './schedule.ts';
import { median } from './stats.ts';
import { knownLoads, type LoadClass, loadCorrection, NIGHTLY_LOAD_PER_CORE, nightlyDuration } from './record-load.ts';

const roots = options('--results').length ? options('--results') : [path.join(projectRoot, 'results')];
const out = option('--out') ?? path.join(projectRoot, 'bench', 'results.md');
const tierNames = (options('--tier').length ? options('--tier') : ['nightly', 'full']) as TierName[];
/**
 * Two boards on two cores each run slower than one alone: measured (bench/results.md, "The hil matrix
 * at 1 and at 2 workers") a 14-test BeagleBone subset took 0.59× at 2 workers, where a perfect split
 * over its two instances gives 0.50×: 1.18.
 */
const pairContention = Number(option('--contention') ?? 1.18);
/**
 * Boards that take every core of this host slow whatever runs beside them, and are slowed, more. The
 * Pi did while raspi3b's 4 CPUs ran on a host thread each: its 2.x path took 505 s alone and 724 s
 * beside the BeagleBone's tests (1.43×). On one thread (rigs/qemu-raspberrypi3.yaml, since
 * 2026-11-29) it used 0.51 of a core on average to boot (bench/tcg-threads.ts) and counts as a pair:
 * inferred from its CPU use, not yet measured beside another board.
 */
const allCoreContention: Record<string, number> = {};
/** The all-core boards' contention, as the estimate's text says it. */
const allCore = () =>
  Object.entries(allCoreContention)
    .map(([r, x]) => ` (×${x} when one of them is ${r}: it takes every core)`)
    .join('');
const contention: Contention = (rig, others) => {
  if (!others.length) return 1;
  return Math.max(pairContention, ...[rig, ...others].map((r) => allCoreContention[r] ?? 1));
};
/**
 * How much slower a rig is than the BeagleBone when the records share fewer than 3 tests: the ratios
 * of the last estimate that had both (2026-11-27, summed durations of the tests both rigs ran: the Pi
 * over 18 tests, then on a host thread per CPU; the virtual bench over 3).
 */
const recordedScale: Record<string, number> = { 'qemu-raspberrypi3': 2.65, 'virtual-bench-beaglebone-black': 1.79 };
const started = new Date();

const passes = await recordedPasses(roots);
const correction = loadCorrection(passes.values());
const recorded = (rig: string, title: string) => {
  const p = passes.get(passKey(rig, title));
  return p ? nightlyDuration(p, correction).ms : undefined;
};
/** How many of a rig's tests of the tier count with records of each load. */
const loadsOf = (rig: string, tests: MatrixTest[]) => {
  const n: Record<LoadClass, number> = { nightly: 0, unknown: 0, loaded: 0 };
  for (const t of tests) {
    const p = t.rig === rig && passes.get(passKey(rig, t.title));
    if (p) n[nightlyDuration(p, correction).load]++;
  }
  return `${n.nightly} / ${n.unknown} / ${n.loaded}`;
};

type Source = 'own' | 'scaled' | 'suite' | 'unknown';

/** A test's estimated duration and where it came from. */
function estimate(t: MatrixTest, tests: MatrixTest[], reference: string): { ms: number; source: Source } {
  const own = recorded(t.rig, t.title);
  if (own !== undefined) return { ms: own, source: 'own' };
  const ref = recorded(reference, t.title);
  const scale = t.rig === reference ? undefined : slowdown(t.rig, tests, reference);
  if (ref !== undefined && scale) return { ms: ref * scale, source: 'scaled' };
  const suite = tests.flatMap((u) => (u.rig === t.rig && u.file === t.file ? [recorded(t.rig, u.title)] : []));
  const known = suite.filter((x): x is number => x !== undefined);
  if (known.length) return { ms: median(known), source: 'suite' };
  const refSuite = tests.flatMap((u) =>
    u.rig === reference && u.file === t.file ? [recorded(reference, u.title)] : [],
  );
  const refKnown = refSuite.filter((x): x is number => x !== undefined);
  if (refKnown.length && scale) return { ms: median(refKnown) * scale, source: 'scaled' };
  return { ms: 0, source: 'unknown' };
}

/** The rig's durations over the reference's, summed over the tests both passed; else the recorded ratio. */
function slowdown(rig: string, tests: MatrixTest[], reference: string): number | undefined {
  const both = tests.flatMap((t) => {
    if (t.rig !== rig) return [];
    const [mine, ref] = [recorded(rig, t.title), recorded(reference, t.title)];
    return mine !== undefined && ref !== undefined ? [[mine, ref] as const] : [];
  });
  if (both.length >= 3) return both.reduce((s, [m]) => s + m, 0) / both.reduce((s, [, r]) => s + r, 0);
  return recordedScale[rig];
}

const hours = (ms: number) => `${(ms / 3_600_000).toFixed(1)} h`;
const body = [
  '| tier | rig | tests | recorded | of them at nightly / unknown / other load | scaled | from their suite | unknown | 1 worker |',
  '|---|---|---|---|---|---|---|---|---|',
];
const totals: string[] = [];
for (const tier of tierNames) {
  const tests = await listMatrix(tier);
  const rigs = [...new Set(tests.map((t) => t.rig))];
  const reference = rigs
    .map((rig) => ({ rig, n: tests.filter((t) => t.rig === rig && recorded(rig, t.title) !== undefined).length }))
    .sort((a, b) => b.n - a.n)[0]!.rig;
  const timed = tests.map((t) => ({ ...t, ...estimate(t, tests, reference) }));
  for (const rig of rigs) {
    const mine = timed.filter((t) => t.rig === rig);
    const n = (s: Source) => mine.filter((t) => t.source === s).length;
    const ms = mine.reduce((s, t) => s + t.ms, 0);
    body.push(
      `| ${tier} | ${rig} | ${mine.length} | ${n('own')} | ${loadsOf(rig, mine)} | ${n('scaled')} | ${n('suite')} | ${n('unknown')} | ${hours(ms)} |`,
    );
    for (const t of mine.filter((x) => x.source === 'unknown'))
      console.log(`  no record: [${rig}] ${t.file} › ${t.title}`);
  }
  const instances = Object.fromEntries(
    await Promise.all(rigs.map(async (r) => [r, (await loadRigConfig(r)).instances ?? 1] as const)),
  );
  const one = timed.reduce((s, t) => s + t.ms, 0);
  // Playwright's queue: the rigs in the configured order (busiest per instance first), each as listed.
  const configured = rigsByLoad(rigs.map((name) => ({ name, instances: instances[name]! }))).map((r) => r.name);
  const queued = (order: string[]) => [...timed].sort((a, b) => order.indexOf(a.rig) - order.indexOf(b.rig));
  const two = scheduleMs(queued(configured), 2, instances, contention);
  const byName = scheduleMs(queued([...rigs].sort()), 2, instances, contention);
  const line = `${tier}: ${timed.length} tests, ${hours(one)} at 1 worker, ${hours(two)} at 2 workers (rigs started by name instead: ${hours(byName)})`;
  totals.push(
    `| ${tier} | all | ${timed.length} | | | | | | ${hours(one)}; **${hours(two)} at 2 workers** (${hours(byName)} with the rigs queued by name) |`,
  );
  console.log(line);
}
body.push(...totals);
body.push(
  '',
  `From ${passes.size} tests with recorded passes in ${roots.join(', ')} and ${path.relative(projectRoot, durationsFile)}. A test counts with the median of its passes on its rig; one that never passed on a rig, with the reference rig's median times how much slower that rig is (from the tests both ran, or the last recorded ratio: ${Object.entries(
    recordedScale,
  )
    .map(([r, x]) => `${r} ×${x}`)
    .join(
      ', ',
    )}); failing that, with the median of its suite file. 2 workers: queued as Playwright queues them (the rigs in the configured order, busiest per instance first; each rig's tests as listed), a free worker taking the first test whose rig has a free instance, a test ×${pairContention} while another board runs beside it${allCore()}. ${Object.entries(
    recordsValidFrom,
  )
    .map(([r, t]) => `Records of ${r} before ${t} do not count (it has run differently since). `)
    .join(
      '',
    )}A test's records count by the host's load as they ran (bench/record-load.ts): those at a nightly's own load (mean load average ≤ ${NIGHTLY_LOAD_PER_CORE} per core) first, else those taken beside other work × ${correction.factor.toFixed(2)} (${correction.tests >= 3 ? `the median ratio of the ${correction.tests} tests recorded both ways` : `not corrected: only ${correction.tests} tests recorded both ways`}), else those of unknown load as they are. ${knownLoads.map((k) => `Runs started ${k.from}–${k.to} count as ${k.load} load (${k.why}). `).join('')}An estimate, not a measurement.`,
);
await writeSection(out, 'estimate', started, body);
console.log(`written to ${path.relative(projectRoot, out)}`);
if (process.argv.includes('--save')) await saveDurations();

/** The medians of the recorded passes as bench/test-durations.json, for the next estimate and the shards. */
async function saveDurations(): Promise<void> {
  const all = await listMatrix('full');
  const durationsMs: Record<string, number> = {};
  for (const t of all) {
    const ms = recorded(t.rig, t.title);
    if (ms !== undefined) durationsMs[`[${t.rig}] › ${t.file} › ${t.title}`] = Math.round(ms);
  }
  await writeFile(durationsFile, `${JSON.stringify({ durationsMs }, null, 2)}\n`);
  console.log(
    `${Object.keys(durationsMs).length} test durations written to ${path.relative(projectRoot, durationsFile)}`,
  );
}
