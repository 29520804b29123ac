// One Playwright project per rig file in rigs/ (its tests are the HIL suites), plus `unit` for the
// harness's own tests. Results (JUnit, Allure, attachments) go under results/.
import { defineConfig, type Project } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const rigsDir = path.join(import.meta.dirname, 'rigs');
const resultsDir = process.env.HUPBENCH_RESULTS ?? 'results/latest';

function rigProjects(): Project[] {
  return readdirSync(rigsDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ file: f, rig: parse(readFileSync(path.join(rigsDir, f), 'utf8')) as { name?: string; example?: boolean } }))
    // Example rigs describe real benches that are not wired to this host: run them only when named.
    .filter(({ rig }) => !rig.example || process.env.HUPBENCH_RIGS?.split(',').includes(rig.name ?? ''))
    .map(({ file }) => {
      const name = file.replace(/\.yaml$/, '');
      // `npm test` (HUPBENCH_SMOKE=1) runs only the @smoke subset of the HIL suites.
      return { name, testDir: 'suites', use: { rigName: name }, grep: process.env.HUPBENCH_SMOKE ? /@smoke/ : undefined };
    });
}

export default defineConfig({
  projects: [{ name: 'unit', testDir: 'test', timeout: 120_000 }, ...rigProjects()],
  // Note: each QEMU board under TCG keeps one core busy; this machine has two.
  workers: 1,
  timeout: 10 * 60_000,
  expect: { timeout: 10_000 },
  outputDir: path.join(resultsDir, 'artifacts'),
  reporter: [
    ['list'],
    ['junit', { outputFile: path.join(resultsDir, 'junit.xml') }],
    ['allure-playwright', { resultsDir: path.join(resultsDir, 'allure-results') }],
    ['./harness/report/summary-reporter.ts'],
  ],
});
