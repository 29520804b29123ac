// Progress lines for people watching a CLI run (`hupbench gate`, `npm run hil`): which path on which
// rig, which updater phase, elapsed time, and MiB pulled so far. Playwright learns a path's bytes
// when the test attaches bandwidth.json (after the updater exits), so "MiB so far" is the sum over
// finished paths; the phase lines come live from the updater runner's steps.
import type {
  FullConfig,
  FullResult,
  Reporter,
  Suite,
  TestCase,
  TestResult,
  TestStep,
} from '@playwright/test/reporter';
import { summaryRow, verdictText } from './run-summary.ts';

const fmt = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};

export default class ProgressReporter implements Reporter {
  private total = 0;
  private readonly done = new Set<string>();
  private started = Date.now();
  private testStarted = 0;
  private mib = 0;
  private current?: { title: string; phase: string; phaseStarted: number };
  private ticker?: NodeJS.Timeout;

  onBegin(_config: FullConfig, suite: Suite): void {
    this.total = suite.allTests().length;
    this.started = Date.now();
    this.log(`${this.total} test${this.total === 1 ? '' : 's'} to run`);
    // Note: a HIL phase can take minutes without a line; say that it is still going.
    this.ticker = setInterval(() => {
      if (this.current)
        this.log(
          `  … ${this.current.phase} for ${fmt(Date.now() - this.current.phaseStarted)} (test ${fmt(Date.now() - this.testStarted)})`,
        );
    }, 30_000);
    this.ticker.unref();
  }

  onTestBegin(test: TestCase, result: TestResult): void {
    this.testStarted = Date.now();
    const retry = result.retry ? ` (retry ${result.retry})` : '';
    this.current = { title: test.title, phase: 'setup', phaseStarted: Date.now() };
    this.log(
      `[${Math.min(this.done.size + 1, this.total)}/${this.total}] ${test.parent.project()?.name}: ${test.title}${retry}`,
    );
  }

  onStepBegin(test: TestCase, _result: TestResult, step: TestStep): void {
    if (!this.current) return;
    // Fixtures (rig, registry, images) can take minutes on a first run: say which.
    if (step.category === 'fixture' && !step.title.startsWith('Fixture "_')) {
      this.current = { title: test.title, phase: `setting up ${step.title}`, phaseStarted: Date.now() };
      this.log(`  setting up ${step.title}`);
      return;
    }
    if (step.category !== 'test.step') return;
    const phase = step.title.match(/updater phase: (\S+)$/)?.[1];
    // Top-level steps and updater phases; not every nested expect.
    if (!phase && step.parent) return;
    this.current = { title: test.title, phase: phase ? `phase ${phase}` : step.title, phaseStarted: Date.now() };
    this.log(`  ${phase ? `phase ${phase}` : step.title}`);
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    this.current = undefined;
    if (result.status !== 'passed' && result.retry < test.retries && result.status !== 'skipped') {
      this.log(
        `  attempt ${result.retry + 1} ${result.status}: ${result.errors[0]?.message?.replace(/\u001b\[[0-9;]*m/g, '').split('\n')[0] ?? ''}`,
      );
      return;
    }
    this.done.add(test.id);
    const row = summaryRow(test);
    if (row.receivedMiB) this.mib += row.receivedMiB;
    const mib = row.receivedMiB === undefined ? '' : `, ${row.receivedMiB.toFixed(1)} MiB`;
    this.log(`  → ${verdictText(row.verdict)} in ${fmt(result.duration)}${mib}${row.error ? `: ${row.error}` : ''}`);
  }

  onEnd(_result: FullResult): void {
    clearInterval(this.ticker);
  }

  private log(line: string): void {
    console.log(`[${fmt(Date.now() - this.started).padStart(6)} | ${this.mib.toFixed(1)} MiB] ${line}`);
  }

  printsToStdio(): boolean {
    return true;
  }
}
