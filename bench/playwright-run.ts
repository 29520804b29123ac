// Runs Playwright for a benchmark with a JSON report, and reads back what each test did: outcome,
// duration, retries and the path timing it recorded.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../harness/project-root.ts';
import { newResultsFolder } from '../harness/report/results-folder.ts';
import { parseTestData, testDataContentType } from '../harness/report/test-data.ts';
import type { PathTiming } from '../harness/updater/path-timing.ts';

export interface PlaywrightRun {
  /** Its results folder. */
  dir: string;
  wallMs: number;
  tests: Array<{
    title: string;
    status: string;
    durationMs: number;
    retries: number;
    /** The path timing the test recorded (harness/report/test-data.ts), when it recorded one. */
    timing?: PathTiming;
  }>;
}

/**
 * Runs Playwright with a JSON report; the test outcomes, durations and annotations. Each run keeps
 * its results folder (results/<time>-bench-<label>: consoles, updater logs, summary.json), so a
 * flaky or failed test in a benchmark has its evidence, and `bench:matrix-estimate` its duration.
 */
export async function playwright(
  label: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<PlaywrightRun> {
  const dir = newResultsFolder(`bench-${label}`);
  const report = path.join(dir, 'report.json');
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const child = spawn('npx', ['playwright', 'test', ...args], {
      cwd: projectRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ...env, HUPBENCH_JSON_REPORT: report, HUPBENCH_RESULTS: dir },
    });
    child.on('exit', () => resolve());
  });
  const wallMs = Date.now() - started;
  type Spec = {
    title: string;
    tests: Array<{
      results: Array<{
        status: string;
        duration: number;
        retry: number;
        attachments?: Array<{ contentType: string; body?: string }>;
      }>;
    }>;
  };
  type Suite = { specs?: Spec[]; suites?: Suite[] };
  const json = JSON.parse(await readFile(report, 'utf8')) as { suites: Suite[] };
  const tests: PlaywrightRun['tests'] = [];
  const walk = (s: Suite) => {
    for (const spec of s.specs ?? []) {
      for (const t of spec.tests) {
        const last = t.results.at(-1);
        if (last)
          tests.push({
            title: spec.title,
            status: last.status,
            durationMs: t.results.reduce((sum, r) => sum + r.duration, 0),
            retries: t.results.length - 1,
            timing: timingRecord(spec.title, last.attachments ?? []),
          });
      }
    }
    for (const child of s.suites ?? []) walk(child);
  };
  json.suites.forEach(walk);
  return { dir, wallMs, tests };
}

/** The `timing` record among a result's attachments (base64 in Playwright's JSON report). */
function timingRecord(
  title: string,
  attachments: Array<{ contentType: string; body?: string }>,
): PathTiming | undefined {
  const found = attachments.findLast((a) => a.contentType === testDataContentType('timing') && a.body);
  return found ? parseTestData('timing', Buffer.from(found.body!, 'base64').toString('utf8'), title) : undefined;
}
