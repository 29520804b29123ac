// Retries are for infrastructure faults only. Playwright retries any failed test (`retries` per
// project) and calls a product-failure-then-pass "flaky"; hupbench does not: a product failure is
// never retried into a pass. The ledger lets a fixture fail the retry of a product failure at once
// (`failRetryOfProductFailure`, called before a test runs): Playwright then sees every attempt fail,
// so its exit code, JUnit and Allure say "failed" by themselves, and no HIL run is spent on it. The
// verdict below is what the summary, the nightly table and the gate count (and the summary reporter
// fails the run's status with it, should an attempt ever pass after a product failure).
import type { TestInfo } from '@playwright/test';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  attemptFailureKind,
  failureHeadline,
  retryableKinds,
  type ErrorLike,
  type FailureKind,
} from './failure-kind.ts';

export interface Attempt {
  status: 'passed' | 'failed' | 'timedOut' | 'skipped' | 'interrupted';
  errors: ErrorLike[];
}

export type Verdict =
  | { result: 'passed'; attempts: number }
  | { result: 'flaky'; attempts: number; retriedFor: FailureKind[] }
  | { result: 'failed'; attempts: number; kind: FailureKind; retriedIntoPass: boolean }
  | { result: 'skipped'; attempts: number };

export function verdictOf(attempts: Attempt[]): Verdict {
  const ran = attempts.filter((a) => a.status !== 'skipped' && a.status !== 'interrupted');
  if (!ran.length) return { result: 'skipped', attempts: attempts.length };
  const failedKinds = ran.filter((a) => a.status !== 'passed').map((a) => attemptFailureKind(a.errors));
  const last = ran.at(-1)!;
  if (last.status === 'passed') {
    if (!failedKinds.length) return { result: 'passed', attempts: ran.length };
    // Note: only an attempt lost to the rig (or a checkout that did not load) may be retried into a pass.
    const product = failedKinds.find((k) => !retryableKinds.includes(k));
    if (product) return { result: 'failed', attempts: ran.length, kind: product, retriedIntoPass: true };
    return { result: 'flaky', attempts: ran.length, retriedFor: failedKinds };
  }
  const firstProduct = failedKinds.find((k) => !retryableKinds.includes(k));
  return { result: 'failed', attempts: ran.length, kind: firstProduct ?? failedKinds.at(-1)!, retriedIntoPass: false };
}

const ledgerFile = (testInfo: TestInfo) =>
  path.join(testInfo.project.outputDir, '.retry-ledger', `${testInfo.testId}.json`);

/** Called after each attempt (by the evidence fixture): remembers a failure that must not be retried. */
export async function recordAttempt(testInfo: TestInfo): Promise<void> {
  if (testInfo.status === testInfo.expectedStatus) return;
  const kind = attemptFailureKind(testInfo.errors);
  if (retryableKinds.includes(kind)) return;
  await mkdir(path.dirname(ledgerFile(testInfo)), { recursive: true });
  const first = failureHeadline(testInfo.errors[0]?.message);
  await writeFile(ledgerFile(testInfo), JSON.stringify({ retry: testInfo.retry, kind, error: first }));
}

/**
 * The retry of a product failure fails at once, with the earlier failure in its message: the test
 * stays failed wherever Playwright's status is read. (Skipping it instead made Playwright count
 * "failed, then skipped" as flaky and exit 0.)
 */
export class ProductFailureNotRetried extends Error {
  override name = 'ProductFailureNotRetried';
}

/** Before a retry: fail it when an earlier attempt was a product failure (it would not count anyway). */
export async function failRetryOfProductFailure(testInfo: TestInfo): Promise<void> {
  if (testInfo.retry === 0) return;
  const text = await readFile(ledgerFile(testInfo), 'utf8').catch(() => undefined);
  if (!text) return;
  const earlier = JSON.parse(text) as { retry: number; kind: FailureKind; error: string };
  throw new ProductFailureNotRetried(
    `not retried: attempt ${earlier.retry + 1} was a ${earlier.kind} failure (${earlier.error}); hupbench retries infrastructure faults only`,
  );
}
