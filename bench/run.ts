// `npm run bench [-- --rig R] [--runs N] [--matrix [--matrix-only] [--matrix-rig R]… [--matrix-suites a,b]
// [--matrix-grep G]] [--out F]`: the speed figures, as medians of N runs with their min–max, written to
// bench/results.md with the machine they ran on (one section per kind of figure; a run that measures
// only the matrix keeps the other section as it was):
//   - power-on → SSH (a real boot) and the reset times: overlay flash, login-snapshot resume → SSH;
//   - one 2.x → 2.x path and one 1.x → 2.x path (the suites' own tests, run through Playwright), with
//     the harness's overhead: test wall time ÷ the device's own time (start → SSH + updater + reboot);
//   - with --matrix: the `npm run hil` matrix (or a subset: rigs, suites, a title grep) at 1 and at 2
//     workers, run in back-to-back pairs, with their ratio and the flaky and failed counts. The full
//     matrix takes hours on a 2-core host: opt-in.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Device } from '../harness/device/device.ts';
import { startFromImage } from '../harness/board/boot.ts';
import { imageForRelease } from '../harness/image/release-image.ts';
import { createRig } from '../harness/rig/create-rig.ts';
import { loadRigConfig } from '../harness/rig/rig-config.ts';
import { rigNames } from '../harness/cli/known.ts';
import { ensureDocker } from '../harness/setup/docker.ts';
import { loadPaths1xTo2x, loadPaths2x } from '../harness/updater/paths.ts';
import { cacheDir } from '../images/lib/cache.ts';
import { projectRoot } from '../harness/project-root.ts';
import { median } from './stats.ts';
import { writeSection, type Section } from './results-file.ts';
import { playwright } from './playwright-run.ts';
import { option, options } from './argv.ts';

const runs = Number(option('--runs') ?? 3);
const rigName = option('--rig') ?? 'qemu-beaglebone-black';
const out = option('--out') ?? path.join(projectRoot, 'bench', 'results.md');
const rows: Array<{ section: Section; what: string; samples: number[]; unit: 's' | '×'; note?: string }> = [];
let section: Section = 'paths';

const fmt = (v: number, unit: 's' | '×') => (unit === 's' ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(2)}×`);
function record(what: string, samples: number[], unit: 's' | '×' = 's', note?: string) {
  rows.push({ section, what, samples, unit, note });
  const sorted = [...samples].sort((a, b) => a - b);
  console.log(
    `${what}: median ${fmt(median(samples), unit)} (min ${fmt(sorted[0]!, unit)}, max ${fmt(sorted.at(-1)!, unit)}, n=${samples.length})${note ? ` — ${note}` : ''}`,
  );
}

/** Boots and resets on one rig, driven directly (no Playwright in the figures). */
async function bootAndReset() {
  const config = await loadRigConfig(rigName);
  const release = (await loadPaths2x()).at(-1)!.to;
  const base = (await imageForRelease(release.version, config.deviceType)).path;
  // A private copy of the card, so the first start below really boots (no snapshot of it exists).
  const dir = await mkdtemp(path.join(tmpdir(), 'hupbench-bench-'));
  const image = path.join(dir, 'card.img');
  await promisify(execFile)('cp', ['--sparse=always', base, image]);
  const rig = createRig(config, path.join(cacheDir, 'rigs', `bench-${rigName}-${process.pid}`));
  const device = new Device(rig);
  const boot: number[] = [];
  const flash: number[] = [];
  const resume: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const t = Date.now();
      await rig.flash(image);
      flash.push(Date.now() - t);
      const times = await startFromImage(rig, device, image, { firstBoot: true });
      boot.push(times.sshReadyMs!);
      await device.disconnect();
      await rig.power.off();
    }
    if (rig.snapshots) {
      // The first start saves the snapshot (a real boot); the next `runs` resume it.
      await startFromImage(rig, device, image);
      await device.disconnect();
      for (let i = 0; i < runs; i++) {
        const times = await startFromImage(rig, device, image);
        if (!times.resumed) throw new Error('the login snapshot was not resumed: see the rig console');
        resume.push(times.sshReadyMs!);
        await device.disconnect();
        await rig.power.off();
      }
    }
  } finally {
    await rig.dispose();
    await rm(dir, { recursive: true, force: true });
  }
  record(`${rigName}: power-on → SSH (real boot)`, boot);
  record(`${rigName}: reset by overlay flash (qemu-img create)`, flash);
  if (resume.length) {
    record(`${rigName}: reset by login snapshot, resume → SSH`, resume);
    record(
      `${rigName}: snapshot resume ÷ real boot, to SSH`,
      resume.map((r, i) => r / boot[i % boot.length]!),
      '×',
    );
  } else console.log(`${rigName}: no login snapshots on this rig (it always boots)`);
}

/**
 * One path test, `runs` times with login snapshots and `runs` times without (the baseline: every
 * start a real boot): wall times, their ratio, and the harness's overhead against the device's time.
 */
async function onePath(label: string, file: string, title: string) {
  const once = async (env: Record<string, string>) => {
    const { tests } = await playwright(
      `${rigName}-${env.HUPBENCH_SNAPSHOTS === '0' ? 'no-snapshots' : 'snapshots'}`,
      [file, `--project=${rigName}`, '--retries=0', '-g', escapeRegExp(title)],
      env,
    );
    const test = tests[0];
    if (test?.status !== 'passed')
      throw new Error(
        `bench: ${label} did not pass (${test?.status ?? 'not run'}); run it alone to see why: npx playwright test ${file} --project=${rigName} -g '${title}'`,
      );
    const t = test.timing;
    if (!t) throw new Error(`bench: ${label} passed without a timing record (suites record it with recordTestData)`);
    return {
      wall: test.durationMs,
      overhead: test.durationMs / (t.startMs + t.updaterMs + t.rebootMs + (t.verdictMs ?? 0)),
    };
  };
  const snap: Array<{ wall: number; overhead: number }> = [];
  const base: Array<{ wall: number; overhead: number }> = [];
  for (let i = 0; i < runs; i++) {
    snap.push(await once({}));
    base.push(await once({ HUPBENCH_SNAPSHOTS: '0' }));
  }
  record(
    `${rigName}: ${label} (test wall time)`,
    snap.map((r) => r.wall),
  );
  record(
    `${rigName}: ${label}, baseline without login snapshots`,
    base.map((r) => r.wall),
  );
  record(
    `${rigName}: ${label}, wall with ÷ without snapshots`,
    snap.map((r, i) => r.wall / base[i]!.wall),
    '×',
    'per pair of runs taken back to back',
  );
  record(
    `${rigName}: ${label}, harness overhead`,
    snap.map((r) => r.overhead),
    '×',
    'test wall ÷ device time (start → SSH + updater run + reboot → login + the device work the test then waits for: rollback-health verdict on 2.x, supervisor and app pull on the first 2.x boot after 1.x)',
  );
}

/**
 * The matrix at 1 and at 2 workers: `runs` pairs taken back to back (1 then 2 workers), so that the
 * ratio of each pair sees the same host load. A test that passed only on a retry is flaky.
 */
async function matrix() {
  section = 'matrix';
  const grep = option('--matrix-grep');
  const suites =
    option('--matrix-suites')
      ?.split(',')
      .map((s) => `suites/${s}.spec.ts`) ?? [];
  const everyRig = await rigNames();
  const projects = options('--matrix-rig').length ? options('--matrix-rig') : everyRig;
  const scope = [
    projects.length === everyRig.length ? 'every rig' : projects.join(' + '),
    suites.length ? suites.join(', ') : 'every suite',
    grep ? `-g '${grep}'` : '',
  ]
    .filter(Boolean)
    .join('; ');
  const byWorkers = new Map<number, { wall: number[]; flaky: string[]; failed: string[]; tests: number }>([
    [1, { wall: [], flaky: [], failed: [], tests: 0 }],
    [2, { wall: [], flaky: [], failed: [], tests: 0 }],
  ]);
  // Warm-up: the first run must not also pay for starting the Docker engine (about 35 s here).
  await ensureDocker();
  for (let i = 0; i < runs; i++) {
    for (const [workers, acc] of byWorkers) {
      // What `npm run hil` runs: every suite on every rig wired to this host (example rigs are not).
      const run = await playwright(
        `matrix-${workers}w-run${i + 1}`,
        [...suites, ...projects.map((r) => `--project=${r}`), ...(grep ? ['-g', grep] : [])],
        { HUPBENCH_WORKERS: String(workers) },
      );
      acc.wall.push(run.wallMs);
      acc.tests = run.tests.length;
      acc.flaky.push(...run.tests.filter((t) => t.status === 'passed' && t.retries > 0).map((t) => t.title));
      acc.failed.push(...run.tests.filter((t) => t.status !== 'passed' && t.status !== 'skipped').map((t) => t.title));
      const tested = run.tests.reduce((sum, t) => sum + t.durationMs, 0);
      console.log(
        `matrix run ${i + 1}/${runs}, ${workers} worker(s): ${(run.wallMs / 60_000).toFixed(1)} min wall, ${(tested / 60_000).toFixed(1)} min of tests, ${run.tests.length} tests, ${acc.flaky.length} flaky and ${acc.failed.length} failed so far (${path.relative(projectRoot, run.dir)})`,
      );
    }
  }
  for (const [workers, acc] of byWorkers) {
    const names = (list: string[]) => (list.length ? `: ${[...new Set(list)].join('; ')}` : '');
    record(
      `matrix (${scope}), ${workers} worker${workers > 1 ? 's' : ''}`,
      acc.wall,
      's',
      `${acc.tests} tests; over ${runs} consecutive runs: ${acc.flaky.length} flaky${names(acc.flaky)}, ${acc.failed.length} failed${names(acc.failed)}`,
    );
  }
  const [one, two] = [byWorkers.get(1)!.wall, byWorkers.get(2)!.wall];
  record(
    `matrix (${scope}), 2 workers ÷ 1 worker`,
    two.map((w, i) => w / one[i]!),
    '×',
    'wall time, per pair of runs taken back to back',
  );
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const started = new Date();
const matrixOnly = process.argv.includes('--matrix-only');
console.log(`hupbench bench — ${matrixOnly ? 'the matrix only' : rigName}, ${runs} runs per figure`);
if (!matrixOnly) {
  await bootAndReset();
  const paths2x = await loadPaths2x();
  // The smoke path of hup-2x: the newest target from the newest source below it.
  const path2x = paths2x.filter((p) => p.to.version === paths2x.at(-1)!.to.version).at(-1)!;
  await onePath(`2.x → 2.x ${path2x.name}`, 'suites/hup-2x.spec.ts', `2.x → 2.x: ${path2x.name}`);
  const path1x = (await loadPaths1xTo2x()).at(-1);
  if (path1x) await onePath(`1.x → 2.x ${path1x.name}`, 'suites/hup-1x-to-2x.spec.ts', `1.x → 2.x: ${path1x.name}`);
}
if (process.argv.includes('--matrix') || matrixOnly) await matrix();

for (const s of new Set(rows.map((r) => r.section))) {
  await writeSection(out, s, started, [
    '| figure | median | min – max | runs | note |',
    '|---|---|---|---|---|',
    ...rows
      .filter((r) => r.section === s)
      .map((r) => {
        const sorted = [...r.samples].sort((a, b) => a - b);
        return `| ${r.what} | ${fmt(median(r.samples), r.unit)} | ${fmt(sorted[0]!, r.unit)} – ${fmt(sorted.at(-1)!, r.unit)} | ${r.samples.length} | ${r.note ?? ''} |`;
      }),
  ]);
}
console.log(`written to ${path.relative(projectRoot, out)}`);
