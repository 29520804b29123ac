// Builds the Allure report of a results folder (results/<run>/allure-results → allure-report):
// finalize (timelines, retry policy, categories, run summary), then allure-commandline's
// `allure generate`, which needs a Java runtime (Debian: default-jre-headless).
import { $ } from 'zx';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../project-root.ts';
import { finalizeAllureResults, type FinalizeOptions, type FinalizeReport } from './allure-finalize.ts';

$.verbose = false;

export interface BuiltReport {
  reportDir: string;
  resultsDir: string;
  finalize: FinalizeReport;
  buildMs: number;
}

const allureBin = path.join(projectRoot, 'node_modules/.bin/allure');

export async function buildReport(resultsDir: string, opts: FinalizeOptions = {}): Promise<BuiltReport> {
  const started = Date.now();
  const allureResults = path.join(resultsDir, 'allure-results');
  if (!existsSync(allureResults)) {
    throw new Error(
      `No Allure results in ${allureResults}: run the suites first (npm run hil, or hupbench run/gate), or name another results folder.`,
    );
  }
  if ((await $`command -v java`.nothrow()).exitCode !== 0) {
    throw new Error(
      'allure generate needs a Java runtime and none is on PATH. Run as root: apt-get install -y default-jre-headless (or npx tsx harness/setup/ensure-host.ts).',
    );
  }
  const verdictFile = path.join(resultsDir, 'verdict.md');
  const verdictMarkdown =
    opts.verdictMarkdown ?? (existsSync(verdictFile) ? await readFile(verdictFile, 'utf8') : undefined);
  const finalize = await finalizeAllureResults(allureResults, {
    runName: path.basename(path.resolve(resultsDir)),
    ...opts,
    verdictMarkdown,
  });
  const reportDir = path.join(resultsDir, 'allure-report');
  const out = await $`${allureBin} generate ${allureResults} -o ${reportDir} --clean`.nothrow();
  if (out.exitCode !== 0) throw new Error(`allure generate failed (exit ${out.exitCode}):\n${out.stdout}${out.stderr}`);
  return { reportDir, resultsDir, finalize, buildMs: Date.now() - started };
}
