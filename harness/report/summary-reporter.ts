// Prints the plain closing line CI reads: `N passed, N failed` (Playwright prints no such line).
import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

export default class SummaryReporter implements Reporter {
  private outcomes = new Map<string, TestCase>();
  private flaky = 0;

  onTestEnd(test: TestCase, _result: TestResult): void {
    this.outcomes.set(test.id, test);
  }

  onEnd(_result: FullResult): void {
    let passed = 0, failed = 0, skipped = 0;
    for (const test of this.outcomes.values()) {
      const outcome = test.outcome();
      if (outcome === 'expected') passed++;
      else if (outcome === 'flaky') (passed++, this.flaky++);
      else if (outcome === 'skipped') skipped++;
      else failed++;
    }
    const flaky = this.flaky ? ` (${this.flaky} flaky)` : '';
    console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped${flaky}`);
  }

  printsToStdio(): boolean {
    return true;
  }
}
