// One row per test of a run, as the nightly table and the gate verdict show it: path, rig, result
// (with hupbench's retry policy), duration, MiB pulled, and the whole update by component with its
// findings (update-bandwidth.ts). Built by the summary reporter from Playwright's results and the
// tests' records (test-data.ts), and saved as summary.json beside junit.xml.
import type { TestCase } from '@playwright/test/reporter';
import { failureHeadline } from './failure-kind.ts';
import { type HostLoad, hostLoadOf } from './host-load.ts';
import { verdictOf, type Verdict } from './retry-policy.ts';
import { readAllTestData } from './test-data.ts';
import { type UpdateBandwidth, updateBandwidth } from './update-bandwidth.ts';
import type { PathClass } from '../updater/paths.ts';

const MiB = 2 ** 20;

export interface SummaryRow {
  project: string;
  title: string;
  file: string;
  /** `2.0.0+rev2 → 2.12.3+rev1` when the test is an update path. */
  path?: string;
  from?: string;
  to?: string;
  pathClass?: PathClass;
  fault?: string;
  verdict: Verdict;
  /** All attempts, ms. */
  durationMs: number;
  /** The device's interface while the updater ran (the bandwidth record's oldest figures). */
  receivedMiB?: number;
  sentMiB?: number;
  /** The whole update, when the test measured it: MiB by component, the device's own bytes, findings. */
  bandwidth?: UpdateBandwidth;
  /** First line of the deciding error. */
  error?: string;
  /** `finding` annotations: what the device did in a window the suite records rather than forbids. */
  findings?: string[];
  /** The host's load while the test ran (host-load.ts): the estimate weighs records by it. */
  hostLoad?: HostLoad;
  /** Records of this test that did not read (test-data.ts): the tables miss them, so the summary says so. */
  dataProblems?: string[];
}

export interface RunSummary {
  startedAt: string;
  durationMs: number;
  rows: SummaryRow[];
  passed: number;
  failed: number;
  skipped: number;
  flaky: number;
}

/** The fault a test injects, from its `fault` annotation (`broken-init: the new root …`). */
export function faultLabel(annotations: Array<{ type: string; description?: string }>): string | undefined {
  return annotations
    .find((a) => a.type === 'fault')
    ?.description?.split(':')[0]
    ?.trim();
}

export function summaryRow(test: TestCase): SummaryRow {
  const annotations = [...test.annotations, ...test.results.flatMap((r) => r.annotations ?? [])];
  const { records, problems } = readAllTestData(test);
  const { path, bandwidth } = records;
  const whole = bandwidth && updateBandwidth(bandwidth);
  const verdict = verdictOf(test.results.map((r) => ({ status: r.status, errors: r.errors })));
  const deciding =
    verdict.result === 'failed' ? test.results.find((r) => r.status !== 'passed' && r.status !== 'skipped') : undefined;
  return {
    project: test.parent.project()?.name ?? '',
    title: test.title,
    file: test.location.file,
    path: path?.name,
    from: path?.from,
    to: path?.to,
    pathClass: path?.pathClass,
    fault: faultLabel(annotations),
    verdict,
    durationMs: test.results.reduce((sum, r) => sum + r.duration, 0),
    ...(bandwidth && { receivedMiB: bandwidth.bytesReceived / MiB, sentMiB: bandwidth.bytesSent / MiB }),
    ...(whole && { bandwidth: whole }),
    error: deciding ? failureHeadline(deciding.errors[0]?.message) : undefined,
    findings: findingsOf(test),
    hostLoad: hostLoadOf(annotations),
    dataProblems: problems.length ? problems : undefined,
  };
}

function findingsOf(test: TestCase): string[] | undefined {
  const last = test.results.at(-1);
  const notes = (last?.annotations ?? test.annotations)
    .filter((a) => a.type === 'finding' && a.description)
    .map((a) => a.description!);
  return notes.length ? [...new Set(notes)] : undefined;
}

export function verdictText(v: Verdict): string {
  switch (v.result) {
    case 'passed':
      return 'passed';
    case 'skipped':
      return 'skipped';
    case 'flaky':
      return `flaky (passed on attempt ${v.attempts} after ${v.retriedFor.join(', ')} fault)`;
    case 'failed':
      return v.retriedIntoPass ? `FAILED (${v.kind}; a retry passed, not counted)` : `FAILED (${v.kind})`;
  }
}

/** A Markdown table: what `npm run hil` prints and the report shows. */
export function summaryTable(rows: SummaryRow[]): string {
  const lines = ['| rig | path | test | result | duration | MiB pulled |', '|---|---|---|---|---:|---:|'];
  for (const r of rows) {
    const mib = r.receivedMiB === undefined ? '' : r.receivedMiB.toFixed(1);
    const cell = (s: string) => s.replace(/\|/g, '\\|');
    lines.push(
      `| ${r.project} | ${r.path ?? ''}${r.fault ? ` (fault ${r.fault})` : ''} | ${cell(r.title)} | ${verdictText(r.verdict)} | ${(r.durationMs / 1000).toFixed(0)} s | ${mib} |`,
    );
  }
  return lines.join('\n');
}

export function countVerdicts(rows: SummaryRow[]): Pick<RunSummary, 'passed' | 'failed' | 'skipped' | 'flaky'> {
  const c = { passed: 0, failed: 0, skipped: 0, flaky: 0 };
  for (const r of rows) {
    if (r.verdict.result === 'passed') c.passed++;
    else if (r.verdict.result === 'flaky') {
      c.passed++;
      c.flaky++;
    } else if (r.verdict.result === 'skipped') c.skipped++;
    else c.failed++;
  }
  return c;
}

/** The line CI reads; always the last line a run prints. */
export function summaryLine(c: Pick<RunSummary, 'passed' | 'failed' | 'skipped' | 'flaky'>): string {
  return `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped${c.flaky ? ` (${c.flaky} flaky)` : ''}`;
}
