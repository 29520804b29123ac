// One Playwright project per rig file in rigs/ (its tests are the HIL suites), plus `unit` for the
// harness's own tests. Results (JUnit, Allure, attachments, summary.json) go under one folder per
// run: $HUPBENCH_RESULTS, or a new results/<ISO time>/ that results/latest points at.
import { defineConfig, type Project, type ReporterDescription } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { currentTier, tierRule } from './harness/matrix/tiers.ts';
import { otherDeviceTypes } from './harness/matrix/device-type-tag.ts';
import { rigsByLoad, type RigLoad } from './harness/matrix/rig-order.ts';
import { newResultsFolder } from './harness/report/results-folder.ts';

const rigsDir = path.join(import.meta.dirname, 'rigs');
const resultsDir = process.env.HUPBENCH_RESULTS || newRunFolder();

/** results/<ISO time>/ for a run that names no folder; results/latest points at it. */
function newRunFolder(): string {
  const dir = newResultsFolder();
  // Note: Playwright's workers load this file too and inherit the main process's environment,
  // so they all write into the folder made here.
  process.env.HUPBENCH_RESULTS = dir;
  return dir;
}
// Note: HIL tests are retried for infrastructure faults only: Playwright retries every failure, and
// the summary reporter and the report count a product failure that a retry "passed" as failed
// (harness/report/retry-policy.ts). Unit tests are not retried.
const hilRetries = Number(process.env.HUPBENCH_RETRIES ?? 1);
const tier = currentTier();

/** The rigs of rigs/*.yaml this run drives. Example rigs describe benches not wired to this host: only when named. */
function rigFiles(): Array<RigLoad & { deviceType: string }> {
  return readdirSync(rigsDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({
      name: f.replace(/\.yaml$/, ''),
      rig: parse(readFileSync(path.join(rigsDir, f), 'utf8')) as RigYaml,
    }))
    .filter(({ rig }) => !rig.example || process.env.HUPBENCH_RIGS?.split(',').includes(rig.name ?? ''))
    .map(({ name, rig }) => ({ name, instances: rig.instances ?? 1, deviceType: rig.deviceType ?? '' }));
}
type RigYaml = { name?: string; example?: boolean; instances?: number; deviceType?: string };

// Note: the rig whose tests take longest per instance is configured first, so it starts first and runs
// beside the others instead of alone at the end (harness/matrix/rig-order.ts).
function rigProjects(): Project[] {
  return rigsByLoad(rigFiles()).map(({ name, instances, deviceType }) => {
    // Which tests this rig runs in this tier (smoke for `npm test`, nightly for `npm run hil`, full
    // for a gate): harness/matrix/tiers.ts, with the reasons.
    // A rig runs at most `instances` tests at once (each worker takes one instance: harness/fixtures.ts).
    // Every HIL test flashes and boots its own board, so the tests of one file (the 40 power-cut rows
    // of faults.spec.ts) may spread over the workers too: fullyParallel. One worker runs them in order.
    const { grep, grepInvert } = tierRule(tier, name);
    return {
      name,
      testDir: 'suites',
      use: { rigName: name },
      retries: hilRetries,
      workers: instances,
      fullyParallel: true,
      grep,
      // A test tagged for another device type is not this rig's (harness/matrix/device-type-tag.ts).
      grepInvert: [otherDeviceTypes(deviceType), ...(grepInvert ? [grepInvert] : [])],
    };
  });
}

// The CLI (harness/cli/) asks for its progress lines instead of the list reporter.
const console: ReporterDescription = process.env.HUPBENCH_PROGRESS
  ? ['./harness/report/progress-reporter.ts']
  : ['list'];

export default defineConfig({
  // The unit tests come last: short, they fill the workers' gaps at the end of the run.
  projects: [...rigProjects(), { name: 'unit', testDir: 'test', timeout: 120_000, retries: 0 }],
  // Note: each QEMU board under TCG keeps one core busy. HUPBENCH_WORKERS (or --workers) runs more
  // boards at once, each rig up to its `instances`; `npm run bench` measures what that buys.
  workers: Number(process.env.HUPBENCH_WORKERS ?? 1),
  timeout: 10 * 60_000,
  expect: { timeout: 10_000 },
  outputDir: path.join(resultsDir, 'artifacts'),
  reporter: [
    console,
    ['junit', { outputFile: path.join(resultsDir, 'junit.xml') }],
    ['allure-playwright', { resultsDir: path.join(resultsDir, 'allure-results') }],
    ['./harness/report/summary-reporter.ts', { outputDir: resultsDir }],
    // `npm run bench` reads the JSON report, beside (not instead of) the run's usual evidence.
    ...(process.env.HUPBENCH_JSON_REPORT
      ? [['json', { outputFile: process.env.HUPBENCH_JSON_REPORT }] as ReporterDescription]
      : []),
    // A shard of a run spread over hosts also writes Playwright's blob report, which
    // `hupbench merge` turns into one run folder, one summary and one verdict.
    ...(process.env.HUPBENCH_BLOB
      ? [
          [
            'blob',
            { outputDir: path.join(resultsDir, 'blob'), fileName: `report-${process.env.HUPBENCH_BLOB}.zip` },
          ] as ReporterDescription,
        ]
      : []),
  ],
});
