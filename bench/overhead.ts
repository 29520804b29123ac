// `npm run bench:overhead -- [--results DIR]… [--grep RE]`: where each update test's wall time went,
// from what a run recorded (allure-results: the test's steps, its board-steps.json and its timing
// record). The device's own time (start → SSH, the updater's phases, the reboot to login, the verdict
// it waits for) against the harness's, step by step: fixtures, publish, flash/resume, source
// preparation, the checks after the update, and the gaps between steps (SSH round trips outside any
// step: snapshots, checksums, the updater's launch). Per test, then the medians per step.
// DIR is a run folder (results/<time>…), or a folder of them; default results/latest.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../harness/project-root.ts';
import type { BoardStep } from '../harness/board/steps.ts';
import type { AllureStep } from '../harness/report/allure-finalize.ts';
import { parseTestData } from '../harness/report/test-data.ts';
import type { PathTiming } from '../harness/updater/path-timing.ts';
import { option, options } from './argv.ts';
import { median } from './stats.ts';

interface AllureResult extends AllureStep {
  fullName?: string;
  status: string;
  labels?: Array<{ name: string; value: string }>;
}

/** One update test's wall time, split: device buckets and harness buckets, ms. */
export interface Breakdown {
  title: string;
  run: string;
  wallMs: number;
  timing: PathTiming;
  device: Record<string, number>;
  harness: Record<string, number>;
  /** Worker fixtures set up before the test (the rig's lease, the registry): not in its duration. */
  worker: Record<string, number>;
}

/** harness/fixtures.ts's worker-scoped fixtures: Playwright leaves their setup out of a test's duration. */
const WORKER_FIXTURES = new Set(['rigName', 'rig', 'imageFor', 'registry']);

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

const DEVICE = ['start → SSH', 'updater', 'reboot → login', 'verdict'] as const;

/** The harness bucket of a top-level step: steps that repeat per path keep their name, others group. */
function bucketOf(name: string): string {
  if (name === 'Before Hooks') return 'test fixtures';
  if (name === 'After Hooks') return 'teardown and evidence';
  if (name.startsWith('publish ')) return 'publish';
  if (name.startsWith('board: flash ')) return 'flash/resume';
  if (name.startsWith('seed ')) return 'seed on the host';
  if (/config\.json, the supervisor and the app running/.test(name)) return 'source preparation';
  if (/^board: resume the prepared |^set the resumed device clock/.test(name)) return 'prepared source resumed';
  if (name.startsWith('save the prepared ')) return 'prepared source saved';
  if (name.startsWith('updater phase: ')) return 'updater bookkeeping';
  if (name.startsWith('board: follow the reboot')) return 'SSH after the login prompt';
  if (name.startsWith('board: ')) return shortName(name);
  return `step: ${shortName(name)}`;
}

/** Intervals [from, to) of the device's own work in the test, from its steps and timing record. */
function deviceIntervals(steps: AllureStep[], timing: PathTiming, timingAt: number) {
  const out: Array<{ bucket: (typeof DEVICE)[number]; from: number; to: number }> = [];
  const flash = steps.find((s) => s.name.startsWith('board: flash '));
  if (flash?.stop) out.push({ bucket: 'start → SSH', from: flash.stop - timing.startMs, to: flash.stop });
  for (const s of steps.filter((s) => s.name.startsWith('updater phase: ')))
    out.push({ bucket: 'updater', from: s.start!, to: s.stop! });
  const follow = steps.find((s) => s.name.startsWith('board: follow the reboot'));
  if (follow?.start) out.push({ bucket: 'reboot → login', from: follow.start, to: follow.start + timing.rebootMs });
  if (timing.verdictMs) out.push({ bucket: 'verdict', from: timingAt - timing.verdictMs, to: timingAt });
  return out;
}

function findAttachment(step: AllureStep, type: RegExp): string | undefined {
  for (const a of step.attachments ?? []) if (type.test(a.type) || type.test(a.name)) return a.source;
  for (const sub of step.steps ?? []) {
    const found = findAttachment(sub, type);
    if (found) return found;
  }
  return undefined;
}

/** A step's name for a table: its first line, at most 70 characters. */
const shortName = (name: string) => {
  // An expect's message may carry figures of its run (`exit 0 (ok) after 97.0s; phases: …`): cut there.
  const line = name.split('\n')[0]!.split(/ after \d|; /)[0]!;
  return line.length > 70 ? `${line.slice(0, 69)}…` : line;
};

/**
 * Splits one test's wall time (Playwright's test duration: fixtures included) into buckets: each
 * millisecond is the device's when a device interval covers it, else the harness's top-level step's
 * that covers it, else a gap named after the step that follows it.
 */
export function breakdown(result: AllureResult, dir: string, run: string): Breakdown | undefined {
  const timingRef = findAttachment(result, /vnd\.hupbench\.timing\+json/);
  if (!timingRef) return undefined;
  const timing = parseTestData('timing', readFileSync(path.join(dir, timingRef), 'utf8'), result.name);
  // Note: allure-playwright lists a test's attachments as steps at its end, with the time they were
  // written out, not attached: they are no steps of the test.
  const steps = (result.steps ?? []).filter(
    (s) => s.start !== undefined && s.stop !== undefined && !s.attachments?.length,
  );
  const stepsRef = findAttachment(result, /^board-steps\.json$/);
  const boardSteps: BoardStep[] = stepsRef ? JSON.parse(readFileSync(path.join(dir, stepsRef), 'utf8')) : [];
  // board-steps.json has the board's steps with their own clock; the test's other steps come from Allure.
  for (const b of boardSteps)
    if (!steps.some((s) => s.name === b.name && Math.abs(s.start! - b.startedAt) < 1000))
      steps.push({ name: b.name, start: b.startedAt, stop: b.startedAt + b.durationMs });
  steps.sort((a, b) => a.start! - b.start!);
  // The test's span: its fixtures' setup to their teardown (Allure's own stop leaves out some of it).
  const start = Math.min(...steps.map((x) => x.start!));
  const stop = Math.max(...steps.map((x) => x.stop!));
  // The record's wall clock starts with the test's body, after its fixtures; it is written as the
  // verdict ends.
  const bodyAt = steps.find((x) => x.name === 'Before Hooks')?.stop ?? start;
  const device = deviceIntervals(steps, timing, bodyAt + timing.wallMs);
  const acc = { device: {}, harness: {}, worker: {} } as Pick<Breakdown, 'device' | 'harness' | 'worker'>;
  const fixtures = steps.find((x) => x.name === 'Before Hooks')?.steps ?? [];
  const add = (into: Record<string, number>, key: string, ms: number) => {
    into[key] = (into[key] ?? 0) + ms;
  };
  // 10 ms resolution is plenty against steps of seconds.
  const tick = 10;
  const named = steps.filter((x) => x.stop! - x.start! >= 50);
  const marks = steps.filter((x) => !x.name.startsWith('Expect '));
  for (let t = start; t < stop; t += tick) {
    const d = device.find((i) => t >= i.from && t < i.to);
    if (d) {
      add(acc.device, d.bucket, tick);
      continue;
    }
    const fixture = fixtures.find((x) => t >= x.start! && t < x.stop!)?.name.match(/^Fixture "(\w+)"$/)?.[1];
    const s = named.find((x) => t >= x.start! && t < x.stop!);
    if (fixture && WORKER_FIXTURES.has(fixture)) add(acc.worker, `worker fixture: ${fixture}`, tick);
    else if (s) add(acc.harness, bucketOf(s.name), tick);
    else {
      const next = marks.find((x) => x.start! > t);
      add(acc.harness, next ? `gap before ${shortName(next.name)}` : 'gap at the end', tick);
    }
  }
  return { title: result.name, run, wallMs: stop - start - sum(acc.worker), timing, ...acc };
}

/** Run folders under `dir` (itself, or its children) that have allure-results. */
function runFolders(dir: string): string[] {
  if (existsSync(path.join(dir, 'allure-results'))) return [dir];
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, 'allure-results')))
    .map((e) => path.join(dir, e.name))
    .sort();
}

export function collect(dirs: string[], grep?: RegExp): Breakdown[] {
  const out: Breakdown[] = [];
  // A merged run (`hupbench merge`) holds copies of its shards' attempts: each attempt counts once.
  const seen = new Set<string>();
  for (const runDir of dirs.flatMap(runFolders)) {
    const allure = path.join(runDir, 'allure-results');
    for (const file of readdirSync(allure).filter((f) => f.endsWith('-result.json'))) {
      const result = JSON.parse(readFileSync(path.join(allure, file), 'utf8')) as AllureResult;
      if (result.status !== 'passed' || (grep && !grep.test(result.name))) continue;
      const attempt = `${result.name}|${result.steps?.[0]?.start}`;
      if (seen.has(attempt)) continue;
      seen.add(attempt);
      const b = breakdown(result, allure, path.relative(projectRoot, runDir));
      if (b) out.push(b);
    }
  }
  return out;
}

const s = (ms: number | undefined) => (ms === undefined ? '' : (ms / 1000).toFixed(1));

/** Harness buckets, largest (by median over the tests) first. */
function harnessKeys(tests: Breakdown[]): string[] {
  const keys = [...new Set(tests.flatMap((t) => Object.keys(t.harness)))];
  const med = (k: string) => median(tests.map((t) => t.harness[k] ?? 0));
  return keys.sort((a, b) => med(b) - med(a));
}

/** A markdown table: one column per test (and the median), one row per bucket; rows under 50 ms left out. */
export function table(tests: Breakdown[], withMedian: boolean): string {
  const head = ['', ...tests.map((_, i) => `#${i + 1}`), ...(withMedian ? ['median'] : [])];
  const line = (label: string, cells: string[], med: string) =>
    `| ${label} | ${cells.join(' | ')}${withMedian ? ` | ${med}` : ''} |`;
  const row = (label: string, f: (t: Breakdown) => number | undefined) =>
    line(
      label,
      tests.map((t) => s(f(t))),
      s(median(tests.map((t) => f(t) ?? 0))),
    );
  const ratioRow = (label: string, f: (t: Breakdown) => number) =>
    line(
      label,
      tests.map((t) => `${f(t).toFixed(2)}×`),
      `${median(tests.map(f)).toFixed(2)}×`,
    );
  const shown = (keys: string[], of: (t: Breakdown) => Record<string, number>) =>
    keys.filter((k) => tests.some((t) => (of(t)[k] ?? 0) >= 50));
  const workerKeys = [...new Set(tests.flatMap((t) => Object.keys(t.worker)))].sort();
  return [
    line(head[0]!, head.slice(1, tests.length + 1), 'median'),
    `|${head.map(() => '---').join('|')}|`,
    row('**wall (s)**', (t) => t.wallMs),
    row('**device**', (t) => sum(t.device)),
    ...DEVICE.map((k) => row(`  device: ${k}`, (t) => t.device[k])),
    row('**harness**', (t) => sum(t.harness)),
    ...shown(harnessKeys(tests), (t) => t.harness).map((k) => row(`  ${k}`, (t) => t.harness[k])),
    ...shown(workerKeys, (t) => t.worker).map((k) =>
      row(`(${k}: once per worker, not in the wall)`, (t) => t.worker[k]),
    ),
    ratioRow('**overhead: wall ÷ device**', (t) => t.wallMs / sum(t.device)),
    ratioRow('timing record: wallMs ÷ deviceMs', (t) => t.timing.wallMs / t.timing.deviceMs),
  ].join('\n');
}

function main(): void {
  const dirs = options('--results');
  if (!dirs.length) dirs.push(path.join(projectRoot, 'results', 'latest'));
  const grep = option('--grep');
  const tests = collect(dirs, grep ? new RegExp(grep) : undefined);
  if (!tests.length) {
    console.error(`No passed test with a timing record in ${dirs.join(', ')} (allure-results).`);
    process.exit(1);
  }
  console.log("Wall time of each update test, seconds: its fixtures' setup to their teardown, less the worker");
  console.log("fixtures (the rig's lease, the registry's start) that Playwright leaves out of a test's duration.");
  console.log('Device: its own work (timing record); harness: the rest, by the top-level step it fell in.\n');
  const byTitle = new Map<string, Breakdown[]>();
  for (const t of tests) byTitle.set(t.title, [...(byTitle.get(t.title) ?? []), t]);
  for (const [title, group] of byTitle) {
    console.log(`## ${title}\n`);
    for (const [i, t] of group.entries()) console.log(`#${i + 1}: ${t.run}`);
    console.log(`\n${table(group, group.length > 1)}\n`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) main();
