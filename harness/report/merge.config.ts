// The reporters `hupbench merge` replays the shards' blob reports through (`playwright
// merge-reports --config`): the same JUnit, Allure and summary output as a single run, into the
// merged run folder ($HUPBENCH_RESULTS).
import { defineConfig } from '@playwright/test';
import path from 'node:path';

const out = process.env.HUPBENCH_RESULTS;
if (!out)
  throw new Error('merge.config.ts is run by `hupbench merge`, which names the merged folder in HUPBENCH_RESULTS');

export default defineConfig({
  // Note: merge-reports resolves the shards' test files against this; the suites live at the project root.
  testDir: path.resolve(import.meta.dirname, '../..'),
  reporter: [
    ['junit', { outputFile: path.join(out, 'junit.xml') }],
    [path.join(import.meta.dirname, 'allure-merge-reporter.ts'), { resultsDir: path.join(out, 'allure-results') }],
    [
      path.join(import.meta.dirname, 'summary-reporter.ts'),
      // The selection in one run's order, from the shards (`hupbench merge` names it): rows as one run has them.
      { outputDir: out, orderFile: process.env.HUPBENCH_MERGE_ORDER || undefined },
    ],
  ],
});
