// Prints the plain closing line CI reads: `N passed, N failed` (Playwright prints no such line),
// after a table of the HIL tests (path, result, duration, MiB). Counts with hupbench's retry policy
// (retry-policy.ts): a product failure retried into a pass is a failure. Writes summary.json and
// summary.md into the results folder for the report and the CLI, and the power-cut guarantee table
// of each rig (guarantee-table-<rig>.md) from the rows the fault tests measured, whichever worker ran them.
import type { FullConfig, FullResult, Reporter, Suite, TestCase, TestResult } from '@playwright/test/reporter';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { countVerdicts, summaryLine, summaryRow, summaryTable, type RunSummary } from './run-summary.ts';
import { guaranteeTable, POWER_CUT_ROW_ANNOTATION, type MeasuredRow } from '../faults/guarantees.ts';

export default class SummaryReporter implements Reporter {
  private tests = new Map<string, TestCase>();
  private order: TestCase[] = [];
  private startedAt = new Date();
  private readonly outputDir?: string;

  constructor(options: { outputDir?: string } = {}) {
    this.outputDir = options.outputDir;
  }

  onBegin(_config: FullConfig, suite: Suite): void {
    this.order = suite.allTests();
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
      startedAt: this.startedAt.toISOString(),
      durationMs: result.duration,
      rows,
      ...counts,
    };
    try {
      if (this.outputDir) {
        mkdirSync(this.outputDir, { recursive: true });
        writeFileSync(path.join(this.outputDir, 'summary.json'), JSON.stringify(summary, null, 2));
        writeFileSync(path.join(this.outputDir, 'summary.md'), `${summaryTable(rows)}\n\n${summaryLine(counts)}\n`);
      }
    } catch (error) {
      console.warn(`Could not write the run summary: ${(error as Error).message}`);
    }
    this.writeGuaranteeTables(ran);
    if (hil.length) console.log(`\nHIL results:\n${summaryTable(hil)}`);
    console.log(`\n${summaryLine(counts)}`);
    // Note: only ever makes a status worse; an interrupted or timed-out run keeps its own status.
    if (counts.failed > 0 && result.status === 'passed') return { status: 'failed' };
    return undefined;
  }

  /** The measured power-cut rows of this run, one table per rig, in test order. */
  private writeGuaranteeTables(ran: TestCase[]): void {
    const byRig = new Map<string, MeasuredRow[]>();
    for (const test of ran) {
      const note = (test.results.at(-1)?.annotations ?? test.annotations).find(
        (a) => a.type === POWER_CUT_ROW_ANNOTATION,
      );
      if (!note?.description) continue;
      const row = JSON.parse(note.description) as MeasuredRow;
      byRig.set(row.rig, [...(byRig.get(row.rig) ?? []), row]);
    }
    for (const [rig, rows] of byRig) {
      const table = guaranteeTable(rows);
      console.log(`\nPower-cut guarantees, measured (${rig}):\n${table}`);
      try {
        if (this.outputDir)
          writeFileSync(
            path.join(this.outputDir, `guarantee-table-${rig}.md`),
            `# Power-cut guarantees (${rig})\n\n${table}\n`,
          );
      } catch (error) {
        console.warn(`Could not write the guarantee table of ${rig}: ${(error as Error).message}`);
      }
    }
  }

  printsToStdio(): boolean {
    return true;
  }
}
