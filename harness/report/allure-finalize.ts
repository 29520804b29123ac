// Turns a run's allure-results into what hupbench's report shows, before `allure generate`:
// - a phase timeline (Gantt) per test from its `updater phase: …` steps (the updater runner makes
//   one per `[hup] phase=` line) and the reboot that follows;
// - hupbench's retry policy: a product failure retried into a pass is shown failed; a pass after an
//   infrastructure fault is marked flaky;
// - categories.json (infrastructure vs product), environment.properties, executor.json;
// - one "run summary" entry (clearly not a test) with the bandwidth chart across paths (stacked by
//   component when the tests measured the whole update), the result
//   table and, for a release gate, its verdict.
// Idempotent: finalizing the same folder twice gives the same result.
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { categories } from './categories.ts';
import { failureKind, retryableKinds } from './failure-kind.ts';
import { renderBandwidthHtml, type BandwidthPoint } from './render/bandwidth-svg.ts';
import { escapeHtml, htmlPage } from './render/html.ts';
import { renderTimelineSvg, type TimelineSegment } from './render/timeline-svg.ts';
import { parseTestData, testDataContentType, type TestData, type TestDataKind } from './test-data.ts';
import { updateBandwidth } from './update-bandwidth.ts';

export interface AllureAttachment {
  name: string;
  source: string;
  type: string;
}
export interface AllureStep {
  name: string;
  status?: string;
  start?: number;
  stop?: number;
  steps?: AllureStep[];
  attachments?: AllureAttachment[];
}
interface AllureLabel {
  name: string;
  value: string;
}
interface AllureResult extends AllureStep {
  uuid: string;
  description?: string;
  historyId?: string;
  fullName?: string;
  statusDetails?: { message?: string; trace?: string; flaky?: boolean };
  labels: AllureLabel[];
  parameters?: Array<{ name: string; value: string }>;
  attachments: AllureAttachment[];
}

export interface FinalizeOptions {
  /** Markdown shown first in the run summary (e.g. a release gate's verdict). */
  verdictMarkdown?: string;
  /** Extra key/values for Allure's Environment widget. */
  environment?: Record<string, string>;
  /** Name of this run (the results folder), for the executor widget. */
  runName?: string;
}

export interface FinalizeReport {
  results: number;
  timelines: number;
  retriedProductFailures: number;
  flaky: number;
  bandwidth: BandwidthPoint[];
}

const TIMELINE = 'phase-timeline.html';
const POLICY_NOTE = 'hupbench retry policy:';
const SUMMARY_UUID = 'hupbench-run-summary';

async function readResults(dir: string): Promise<AllureResult[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('-result.json') && !f.startsWith(SUMMARY_UUID));
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(dir, f), 'utf8')) as AllureResult));
}

const writeResult = (dir: string, r: AllureResult) =>
  writeFile(path.join(dir, `${r.uuid}-result.json`), JSON.stringify(r));

function allAttachments(step: AllureStep): AllureAttachment[] {
  return [...(step.attachments ?? []), ...(step.steps ?? []).flatMap(allAttachments)];
}

/**
 * The updater phases of a test, one list per updater run: `retry: updater phase: …` is a second
 * run, and phases nested in a step (e.g. "run the updater again after its pre-step") are the run
 * of that step.
 */
export function timelinesFromSteps(steps: AllureStep[]): Array<{ title: string; segments: TimelineSegment[] }> {
  const found: Array<{ start: number; what: string; segments: TimelineSegment[] }> = [];
  const visit = (level: AllureStep[], within?: string) => {
    const runs = new Map<string, { start: number; segments: TimelineSegment[] }>();
    for (const s of level) {
      const m = s.name.match(/^(.*?)(?:updater phase: (\S+)|(reboot into the new OS))$/);
      if (!m || s.start === undefined || s.stop === undefined) {
        if (s.steps?.length) visit(s.steps, s.name);
        continue;
      }
      const prefix = m[1]!;
      const name = m[2] ?? 'reboot (to login + SSH)';
      // A reboot step belongs to the updater run it follows.
      if (!m[2] && !runs.has(prefix)) continue;
      const run = runs.get(prefix) ?? { start: s.start, segments: [] };
      runs.set(prefix, run);
      const status = s.status === 'failed' || s.status === 'broken' || s.status === 'skipped' ? s.status : 'passed';
      run.segments.push({ name, startMs: s.start - run.start, durationMs: s.stop - s.start, status });
    }
    for (const [prefix, run] of runs)
      found.push({
        start: run.start,
        what: [within, prefix.replace(/:\s*$/, '')].filter(Boolean).join(', '),
        segments: run.segments,
      });
  };
  visit(steps);
  // In the order they ran.
  return found
    .sort((a, b) => a.start - b.start)
    .map((r, i) => ({ title: `Updater run ${i + 1}${r.what ? ` (${r.what})` : ''}`, segments: r.segments }));
}

function isSummary(r: AllureResult) {
  return r.uuid === SUMMARY_UUID;
}

/** Applies the retry policy across the attempts of each test (same historyId, ordered by start). */
function applyRetryPolicy(results: AllureResult[]): {
  retriedProductFailures: number;
  flaky: number;
  changed: Set<AllureResult>;
} {
  const changed = new Set<AllureResult>();
  let retriedProductFailures = 0,
    flaky = 0;
  const byHistory = new Map<string, AllureResult[]>();
  for (const r of results) if (r.historyId) byHistory.set(r.historyId, [...(byHistory.get(r.historyId) ?? []), r]);
  for (const attempts of byHistory.values()) {
    if (attempts.length < 2) continue;
    attempts.sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
    const last = attempts.at(-1)!;
    if (last.status !== 'passed') continue;
    const failures = attempts.slice(0, -1).filter((a) => a.status === 'failed' || a.status === 'broken');
    const product = failures.find(
      (a) =>
        !retryableKinds.includes(failureKind({ message: a.statusDetails?.message, stack: a.statusDetails?.trace })),
    );
    if (product) {
      retriedProductFailures++;
      if (!last.statusDetails?.message?.startsWith(POLICY_NOTE)) {
        last.status = 'failed';
        last.statusDetails = {
          message: `${POLICY_NOTE} attempt ${attempts.indexOf(product) + 1} was a product failure; a later attempt passed, which does not count.\n${product.statusDetails?.message ?? ''}`,
          trace: product.statusDetails?.trace,
        };
        changed.add(last);
      }
    } else if (failures.length && !last.statusDetails?.flaky) {
      flaky++;
      last.statusDetails = { ...last.statusDetails, flaky: true };
      changed.add(last);
    } else if (failures.length) flaky++;
  }
  return { retriedProductFailures, flaky, changed };
}

/** A record the test made (test-data.ts), as allure-playwright kept it: a file with its content type. */
async function recordOf<K extends TestDataKind>(
  dir: string,
  r: AllureResult,
  kind: K,
): Promise<TestData<K> | undefined> {
  const a = allAttachments(r).findLast((x) => x.type === testDataContentType(kind));
  if (!a || !existsSync(path.join(dir, a.source))) return undefined;
  return parseTestData(kind, await readFile(path.join(dir, a.source), 'utf8'), `"${r.name}"`);
}

async function bandwidthPoint(dir: string, r: AllureResult): Promise<BandwidthPoint | undefined> {
  try {
    const bandwidth = await recordOf(dir, r, 'bandwidth');
    if (!bandwidth) return undefined;
    const p = await recordOf(dir, r, 'path');
    return {
      path: p ? `${p.name}${p.variant ? ` (${p.variant})` : ''}` : r.name,
      rig: r.labels.find((l) => l.name === 'rig')?.value ?? '?',
      receivedMiB: bandwidth.bytesReceived / 2 ** 20,
      sentMiB: bandwidth.bytesSent / 2 ** 20,
      status: r.status,
      whole: updateBandwidth(bandwidth),
    };
  } catch (error) {
    // Note: the summary reporter lists the records that did not read; the chart goes on without them.
    console.warn(`bandwidth chart: ${(error as Error).message}`);
    return undefined;
  }
}

export async function finalizeAllureResults(dir: string, opts: FinalizeOptions = {}): Promise<FinalizeReport> {
  const results = await readResults(dir);
  const { retriedProductFailures, flaky, changed } = applyRetryPolicy(results);
  let timelines = 0;
  for (const r of results) {
    if (r.attachments.some((a) => a.name === TIMELINE)) {
      timelines++;
      continue;
    }
    const runs = timelinesFromSteps(r.steps ?? []);
    if (!runs.length) continue;
    const source = `${r.uuid}-timeline-attachment.html`;
    const body = runs.map((run) => renderTimelineSvg(run.segments, `${run.title}: ${r.name}`)).join('\n<br>\n');
    const tables = runs
      .map(
        (run) =>
          `<p>${escapeHtml(run.title)}: ${run.segments.map((s) => `${escapeHtml(s.name)} ${(s.durationMs / 1000).toFixed(1)} s`).join(' · ')}</p>`,
      )
      .join('');
    await writeFile(path.join(dir, source), htmlPage(`Phase timeline: ${r.name}`, body + tables));
    r.attachments.unshift({ name: TIMELINE, source, type: 'text/html' });
    changed.add(r);
    timelines++;
  }
  for (const r of changed) await writeResult(dir, r);

  const points = (await Promise.all(results.filter((r) => !isSummary(r)).map((r) => bandwidthPoint(dir, r)))).filter(
    (p): p is BandwidthPoint => !!p,
  );
  // Keep the last attempt of each path and rig.
  const latest = new Map(points.map((p) => [`${p.rig} ${p.path}`, p]));
  const bandwidth = [...latest.values()].sort((a, b) => a.rig.localeCompare(b.rig) || a.path.localeCompare(b.path));

  await writeFile(path.join(dir, 'categories.json'), JSON.stringify(categories, null, 2));
  const env = { host: os.hostname(), node: process.version, ...opts.environment };
  await writeFile(
    path.join(dir, 'environment.properties'),
    `${Object.entries(env)
      .map(([k, v]) => `${k}=${String(v).replace(/\n/g, ' ')}`)
      .join('\n')}\n`,
  );
  await writeFile(
    path.join(dir, 'executor.json'),
    JSON.stringify({
      name: 'hupbench',
      type: 'hupbench',
      buildName: opts.runName ?? path.basename(path.dirname(path.resolve(dir))),
    }),
  );
  await writeSummaryEntry(dir, results, bandwidth, opts);
  return { results: results.length, timelines, retriedProductFailures, flaky, bandwidth };
}

async function writeSummaryEntry(
  dir: string,
  results: AllureResult[],
  bandwidth: BandwidthPoint[],
  opts: FinalizeOptions,
): Promise<void> {
  const attachments: AllureAttachment[] = [];
  const add = async (name: string, body: string, type: string, ext: string) => {
    const source = `${SUMMARY_UUID}-${name.replace(/\W+/g, '-')}-attachment.${ext}`;
    await writeFile(path.join(dir, source), body);
    attachments.push({ name, source, type });
  };
  if (opts.verdictMarkdown) await add('verdict.md', opts.verdictMarkdown, 'text/markdown', 'md');
  await add('bandwidth-across-paths.html', renderBandwidthHtml(bandwidth), 'text/html', 'html');
  const summaryMd = path.join(path.dirname(path.resolve(dir)), 'summary.md');
  if (existsSync(summaryMd)) await add('summary.md', await readFile(summaryMd, 'utf8'), 'text/markdown', 'md');
  const tests = results.filter((r) => !isSummary(r));
  const starts = tests.map((r) => r.start ?? 0).filter(Boolean);
  const stops = tests.map((r) => r.stop ?? 0).filter(Boolean);
  const summary: AllureResult = {
    uuid: SUMMARY_UUID,
    historyId: SUMMARY_UUID,
    name: 'Run summary (not a test): bandwidth across paths, results table, verdict',
    fullName: 'hupbench run summary',
    // Note: "unknown" keeps it out of the passed/failed counts and out of the failure categories.
    status: 'unknown',
    statusDetails: { message: `${tests.length} test results in this run; see the attachments.` },
    labels: [
      { name: 'parentSuite', value: 'hupbench run summary' },
      { name: 'suite', value: 'run summary' },
    ],
    attachments,
    steps: [],
    start: starts.length ? Math.min(...starts) : Date.now(),
    stop: stops.length ? Math.max(...stops) : Date.now(),
  };
  await writeResult(dir, summary);
}
