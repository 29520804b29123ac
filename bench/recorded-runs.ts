// What the estimates are made of: the tests of the matrix in a tier (as Playwright lists them under
// that tier), and the durations of recorded passes — from every run folder under the given roots
// (summary.json, or a benchmark's report.json) and from the committed bench/test-durations.json,
// so the figures survive the machine they were measured on.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { rigNames } from '../harness/cli/known.ts';
import { recordedDurations } from '../harness/matrix/recorded-durations.ts';
import type { TierName } from '../harness/matrix/tiers.ts';
import { projectRoot } from '../harness/project-root.ts';
import type { HostLoad } from '../harness/report/host-load.ts';
import { type LoadClass, loadClass, type RecordedPass } from './record-load.ts';

export interface MatrixTest {
  rig: string;
  /** Relative to the project, e.g. suites/hup-2x.spec.ts. */
  file: string;
  title: string;
}

/** Every HIL test of the tier, as Playwright lists it (the tier's grep per rig, playwright.config.ts). */
export async function listMatrix(tier: TierName): Promise<MatrixTest[]> {
  const projects = (await rigNames()).map((r) => `--project=${r}`);
  const { stdout } = await promisify(execFile)(
    'npx',
    ['playwright', 'test', '--list', '--reporter=json', ...projects],
    {
      cwd: projectRoot,
      maxBuffer: 64 * 2 ** 20,
      env: { ...process.env, HUPBENCH_TIER: tier, HUPBENCH_RESULTS: path.join(projectRoot, 'results', 'list') },
    },
  );
  type Suite = {
    specs?: Array<{ title: string; file: string; tests: Array<{ projectName: string }> }>;
    suites?: Suite[];
  };
  const tests: MatrixTest[] = [];
  const walk = (s: Suite) => {
    for (const spec of s.specs ?? [])
      for (const t of spec.tests)
        tests.push({ rig: t.projectName, file: path.join('suites', path.basename(spec.file)), title: spec.title });
    s.suites?.forEach(walk);
  };
  (JSON.parse(stdout) as { suites: Suite[] }).suites.forEach(walk);
  return tests.filter((t) => t.file.endsWith('.spec.ts'));
}

export const passKey = (rig: string, title: string) => `${rig}\t${title}`;

/**
 * A rig's runs recorded before this time do not count: the rig has run differently since. The Pi's
 * TCG went from a host thread per CPU to one thread (rigs/qemu-raspberrypi3.yaml), which booted it
 * to SSH in 0.69× the time (bench/tcg-threads.ts).
 */
export const recordsValidFrom: Record<string, string> = { 'qemu-raspberrypi3': '2026-11-29T19:45:00Z' };

/** Which projects' rows in `file` are older than their rig's records may be. */
function staleIn(file: string): (project: string) => boolean {
  const written = statSync(file).mtime;
  return (project) => recordsValidFrom[project] !== undefined && written < new Date(recordsValidFrom[project]!);
}

/** The passed durations per rig and test title: run folders under `roots`, then the committed file. */
export async function recordedPasses(roots: string[]): Promise<Map<string, RecordedPass[]>> {
  const passes = new Map<string, RecordedPass[]>();
  // Note: the unit project is not the matrix's, and its runs would skew the load correction.
  const add: Add = (project, title, ms, load = 'unknown') =>
    project !== 'unit' &&
    passes.set(passKey(project, title), [...(passes.get(passKey(project, title)) ?? []), { ms, load }]);
  const folders = new Set(
    roots.flatMap((root) => [root, ...(existsSync(root) ? readdirSync(root).map((d) => path.join(root, d)) : [])]),
  );
  for (const dir of folders) {
    if (existsSync(path.join(dir, 'summary.json'))) await fromSummary(path.join(dir, 'summary.json'), add);
    else if (existsSync(path.join(dir, 'report.json'))) await fromReport(path.join(dir, 'report.json'), add);
  }
  // `[rig] › file › title` → ms, one median per test (hupbench merge --record-durations, --save here).
  for (const [key, ms] of Object.entries(recordedDurations())) {
    const m = key.match(/^\[([^\]]+)\] › [^›]+ › (.+)$/);
    if (m && !passes.has(passKey(m[1]!, m[2]!))) add(m[1]!, m[2]!, ms);
  }
  return passes;
}

type Add = (project: string, title: string, ms: number, load?: LoadClass) => void;

async function fromSummary(file: string, add: Add): Promise<void> {
  type Row = { project: string; title: string; verdict: { result: string }; durationMs: number; hostLoad?: HostLoad };
  const { rows, startedAt } = JSON.parse(await readFile(file, 'utf8')) as { rows?: Row[]; startedAt?: string };
  const stale = staleIn(file);
  const started = startedAt ? new Date(startedAt) : statSync(file).mtime;
  for (const row of rows ?? [])
    if (row.verdict.result === 'passed' && !stale(row.project))
      add(row.project, row.title, row.durationMs, loadClass(row.hostLoad, started));
}

async function fromReport(file: string, add: Add): Promise<void> {
  type Suite = {
    specs?: Array<{
      title: string;
      tests: Array<{ projectName: string; results: Array<{ status: string; duration: number }> }>;
    }>;
    suites?: Suite[];
  };
  const stale = staleIn(file);
  const load = loadClass(undefined, statSync(file).mtime);
  const walk = (s: Suite) => {
    for (const spec of s.specs ?? [])
      for (const t of spec.tests) {
        const last = t.results.at(-1);
        if (last?.status === 'passed' && t.results.length === 1 && !stale(t.projectName))
          add(t.projectName, spec.title, last.duration, load);
      }
    s.suites?.forEach(walk);
  };
  ((JSON.parse(await readFile(file, 'utf8')) as { suites?: Suite[] }).suites ?? []).forEach(walk);
}
