// Prints the plain closing line CI reads: `N passed, N failed` (Playwright prints no such line),
// after a table of the HIL tests (path, result, duration, MiB). Counts with hupbench's retry policy
// (retry-policy.ts): a product failure retried into a pass is a failure. Writes summary.json and
// summary.md into the results folder for the report and the CLI, and each rig's per-run tables
// (run-tables.ts: bandwidth-, timings-, data-limits-, guarantee-table-<rig>.md) from the records the
// tests made, whichever worker or shard ran them (it also runs under `playwright merge-reports`).
// A record that does not read is said, in the output and in summary.md, not left out silently.
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestResult } from '@playwright/test/reporter';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { countVerdicts, summaryLine, summaryRow, summaryTable, type RunSummary } from './run-summary.ts';
import { runTables, type RunTable } from './run-tables.ts';

export default class SummaryReporter implements Reporter {
  private tests = new Map<string, TestCase>();
  private order: TestCase[] = [];
  private readonly outputDir?: string;
  private readonly orderFile?: string;

  /**
   * `orderFile` (under `hupbench merge`): the whole selection in the order one run lists it
   * (shard-plan.ts writes it beside each shard's list). merge-reports gives the tests shard by
   * shard; the rows and tables then come in the order of one unsharded run.
   */
  constructor(options: { outputDir?: string; orderFile?: string } = {}) {
    this.outputDir = options.outputDir;
    this.orderFile = options.orderFile;
  }

  onBegin(config: FullConfig, suite: Suite): void {
    this.order = suite.allTests();
    if (this.orderFile) this.order = inListedOrder(this.order, config.rootDir, readFileSync(this.orderFile, 'utf8'));
  }

  onTestEnd(test: TestCase, _result: TestResult): void {
    this.tests.set(test.id, test);
  }

  /**
   * Returns the run's status by hupbench's verdicts: a product failure anywhere fails the run, so
   * Playwright's exit code says so even if an attempt after it passed (which Playwright calls flaky).
   */
  async onEnd(result: FullResult): Promise<{ status: FullResult['status'] } | undefined> {
    // Note: tests that never ran (a run stopped early) are not counted, as Playwright does.
    const ran = this.order.filter((t) => this.tests.has(t.id));
    const rows = ran.map((t) => summaryRow(t));
    const counts = countVerdicts(rows);
    const hil = rows.filter((r) => r.project !== 'unit');
    const summary: RunSummary = {
      // Note: the run's own start; under merge-reports, the first shard's (not the merge's).
      startedAt: result.startTime.toISOString(),
      durationMs: result.duration,
      rows,
      ...counts,
    };
    const { tables, problems } = runTables(ran);
    const problemsText = problems.length
      ? `\n\nRecords that did not read (their tests are missing from the tables):\n${problems.map((p) => `- ${p.replace(/\n/g, '\n  ')}`).join('\n')}`
      : '';
    try {
      if (this.outputDir) {
        mkdirSync(this.outputDir, { recursive: true });
        writeFileSync(path.join(this.outputDir, 'summary.json'), JSON.stringify(summary, null, 2));
        writeFileSync(
          path.join(this.outputDir, 'summary.md'),
          `${summaryTable(rows)}${problemsText}\n\n${summaryLine(counts)}\n`,
        );
      }
    } catch (error) {
      console.warn(`Could not write the run summary: ${(error as Error).message}`);
    }
    this.writeTables(tables);
    if (hil.length) console.log(`\nHIL results:\n${summaryTable(hil)}`);
    if (problemsText) console.warn(problemsText);
    console.log(`\n${summaryLine(counts)}`);
    // Note: only ever makes a status worse; an interrupted or timed-out run keeps its own status.
    if (counts.failed > 0 && result.status === 'passed') return { status: 'failed' };
    return undefined;
  }

  /** Each rig's tables of this run, from the records of all its tests. */
  private writeTables(tables: RunTable[]): void {
    for (const table of tables) {
      console.log(`\n${table.title}:\n${table.markdown}`);
      try {
        if (this.outputDir)
          writeFileSync(path.join(this.outputDir, table.file), `# ${table.title}\n\n${table.markdown}\n`);
      } catch (error) {
        console.warn(`Could not write ${table.file}: ${(error as Error).message}`);
      }
    }
  }

  printsToStdio(): boolean {
    return true;
  }
}

/**
 * The tests in the order of a `--test-list` file (`[project] › file › title`, file relative to the
 * root dir, as shard-plan.ts writes it); tests it does not name keep their order, after those it does.
 */
export function inListedOrder(tests: TestCase[], rootDir: string, list: string): TestCase[] {
  const rank = new Map(
    list
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l, i) => [l, i] as const),
  );
  const key = (t: TestCase) =>
    `[${t.parent.project()?.name ?? ''}] › ${path.relative(rootDir, t.location.file)} › ${t.title}`;
  const ranked = tests.map((t, i) => ({ t, r: rank.get(key(t)) ?? rank.size + i }));
  return ranked.sort((a, b) => a.r - b.r).map((x) => x.t);
}
