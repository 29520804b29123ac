// The exit code of a run that judges the product (`nightly`, `gate`), from its verdicts: what a CI
// system gates on, so it must agree with the summary, JUnit and the report.
import type { SummaryRow } from './run-summary.ts';

export const exitCodes = {
  /** Every test passed (a pass after retrying a rig fault counts). */
  passed: 0,
  /** A product failure (or a test budget that ran out, or a checkout that did not load), or nothing ran. */
  product: 1,
  /** Bad input: the run was refused before anything started. */
  usage: 2,
  /** Only rig failures, after their retry: no verdict on the product. */
  rig: 3,
} as const;

export type RunExitCode = (typeof exitCodes)[keyof typeof exitCodes];

export interface ExitDecision {
  code: RunExitCode;
  why: string;
}

/**
 * 0 when every test ran and passed; 1 on any product failure, or when nothing ran, or when
 * Playwright failed without a failed test to show for it; 3 when the only failures were the rig's.
 */
export function runExitCode(rows: SummaryRow[] | undefined, playwrightExit: number): ExitDecision {
  const ran = (rows ?? []).filter((r) => r.verdict.result !== 'skipped');
  if (!ran.length)
    return {
      code: exitCodes.product,
      why: `no test ran (Playwright exited ${playwrightExit}): a run that proves nothing does not pass`,
    };
  const failed = ran.filter((r) => r.verdict.result === 'failed');
  const kind = (r: SummaryRow) => (r.verdict.result === 'failed' ? r.verdict.kind : undefined);
  // Note: a checkout that did not load ('harness') is not the rig's fault either: it fails like the product.
  const product = failed.filter((r) => kind(r) !== 'infrastructure');
  if (product.length)
    return { code: exitCodes.product, why: `${product.length} product failure${product.length > 1 ? 's' : ''}` };
  if (failed.length)
    return {
      code: exitCodes.rig,
      why: `${failed.length} test${failed.length > 1 ? 's' : ''} lost to the rig (infrastructure), no product failure: no verdict on the product`,
    };
  if (playwrightExit !== 0)
    return {
      code: exitCodes.product,
      why: `Playwright exited ${playwrightExit} though every test passed (a suite did not load, or a fixture failed in teardown): see its output`,
    };
  return { code: exitCodes.passed, why: 'every test passed' };
}
