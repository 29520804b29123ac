// The commands that run suites through Playwright and report: `nightly` (npm run hil) and `report`.
import path from 'node:path';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { buildReport } from '../report/build-report.ts';
import { newResultsFolder, resultsRoot } from '../report/results-folder.ts';
import { countVerdicts, summaryLine, summaryTable, type RunSummary } from '../report/run-summary.ts';
import { runExitCode } from '../report/run-exit-code.ts';
import { serveReport } from '../report/serve-report.ts';
import { rigNames, requireRig } from './known.ts';
import { runPlaywright, selectionArgs } from './playwright-run.ts';
import { recordedDurations } from '../matrix/recorded-durations.ts';
import { listTests, testKey } from './shard-plan.ts';
import { tierRule, type TierName } from '../matrix/tiers.ts';
import { UsageError } from './usage-error.ts';

export interface NightlyOptions {
  rig?: string[];
  grep?: string;
  retries?: number;
  workers?: number;
  shard?: string;
  report?: boolean;
  full?: boolean;
  list?: boolean;
}

export async function nightly(opts: NightlyOptions): Promise<number> {
  for (const r of opts.rig ?? []) await requireRig(r);
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  if (opts.workers === 0) throw new UsageError('--workers 0 runs nothing: give 1 or more (one board per worker).');
  const rigs = opts.rig?.length ? opts.rig : await rigNames();
  const tier: TierName = opts.full ? 'full' : 'nightly';
  if (opts.list) return listTier(tier, rigs, opts.grep);
  const resultsDir = newResultsFolder(shard ? `nightly-shard-${shard.index}-of-${shard.total}` : 'nightly');
  console.log(
    `Nightly HIL run on ${rigs.join(', ')}${shard ? `, shard ${shard.index} of ${shard.total}` : ''}; results in ${resultsDir} (results/latest)`,
  );
  const run = await runPlaywright({
    resultsDir,
    projects: rigs,
    grep: opts.grep,
    retries: opts.retries,
    progress: true,
    shard: shard && `${shard.index}/${shard.total}`,
    extraEnv: { HUPBENCH_TIER: tier, ...(opts.workers ? { HUPBENCH_WORKERS: String(opts.workers) } : {}) },
  });
  if (run.emptyShard) {
    console.log(
      `Shard ${shard!.index} of ${shard!.total} was left without tests (more shards than tests): nothing to run.`,
    );
    return 0;
  }
  let reportLine = '';
  if (opts.report !== false) {
    try {
      const built = await buildReport(resultsDir, { environment: { rigs: rigs.join(', '), mode: 'nightly' } });
      reportLine = `Allure report: ${built.reportDir} (built in ${(built.buildMs / 1000).toFixed(1)} s; npm run report -- ${path.relative(process.cwd(), resultsDir)} serves it)`;
    } catch (error) {
      reportLine = `Allure report NOT built: ${(error as Error).message}`;
    }
  }
  const summary = run.summary;
  console.log('');
  if (summary) console.log(summaryTable(summary.rows.filter((r) => r.project !== 'unit')));
  console.log(`JUnit: ${path.join(resultsDir, 'junit.xml')}`);
  if (reportLine) console.log(reportLine);
  const counts = summary ? countVerdicts(summary.rows) : { passed: 0, failed: 1, skipped: 0, flaky: 0 };
  const exit = runExitCode(summary?.rows, run.exitCode);
  console.log(`Exit ${exit.code}: ${exit.why}`);
  // Note: no test run at all is a failure too (e.g. Playwright could not load a suite).
  console.log(summaryLine(counts.passed === 0 && counts.failed === 0 ? { ...counts, failed: 1 } : counts));
  return exit.code;
}

/** `2/3` → shard 2 of 3; anything else is a usage error that shows the form. */
export function parseShard(value: string): { index: number; total: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = Number(m?.[1]);
  const total = Number(m?.[2]);
  if (!m || total < 1 || index < 1 || index > total) {
    throw new UsageError(
      `--shard "${value}" is not a shard: give i/n with 1 ≤ i ≤ n, e.g. --shard 1/3 on the first of three hosts.`,
    );
  }
  return { index, total };
}

export async function report(
  dir: string | undefined,
  opts: { serve?: boolean; port?: number; build?: boolean },
): Promise<number> {
  const resultsDir = path.resolve(dir ?? path.join(resultsRoot, 'latest'));
  if (!existsSync(resultsDir))
    throw new UsageError(
      `No results folder ${resultsDir}. Run the suites first (npm run hil, hupbench gate/run), or name a folder under results/.`,
    );
  let reportDir = path.join(resultsDir, 'allure-report');
  if (opts.build !== false) {
    const built = await buildReport(resultsDir);
    reportDir = built.reportDir;
    const f = built.finalize;
    console.log(
      `Built ${reportDir} from ${f.results} results in ${(built.buildMs / 1000).toFixed(1)} s: ${f.timelines} phase timelines, ${f.bandwidth.length} paths with bandwidth, ${f.flaky} flaky, ${f.retriedProductFailures} product failures a retry did not excuse.`,
    );
    const summaryFile = path.join(resultsDir, 'summary.json');
    if (existsSync(summaryFile)) console.log(summaryLine(JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummary));
  }
  if (opts.serve === false) return 0;
  const served = await serveReport(reportDir, opts.port ?? 0);
  console.log(`Serving ${realpathSync(reportDir)} at ${served.url} (Ctrl-C stops).`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await served.close();
  return 0;
}

/** `nightly --list`: what each rig runs in the tier and why, with the recorded time it takes. */
async function listTier(tier: TierName, rigs: string[], grep?: string): Promise<number> {
  process.env.HUPBENCH_TIER = tier;
  const tests = (await listTests(selectionArgs({ projects: rigs, grep }))).filter((t) => t.project !== 'unit');
  const durations = recordedDurations();
  console.log(
    `The ${tier} tier (harness/matrix/tiers.ts)${tier === 'nightly' ? '; --full runs every test on every rig' : ''}:`,
  );
  for (const rig of rigs) {
    const of = tests.filter((t) => t.project === rig);
    const recorded = of.filter((t) => durations[testKey(t)] !== undefined);
    const minutes = recorded.reduce((sum, t) => sum + durations[testKey(t)]!, 0) / 60000;
    console.log(
      `\n${rig}: ${of.length} tests${recorded.length ? `; ${minutes.toFixed(0)} min recorded for ${recorded.length} of them` : ''}\n  why: ${tierRule(tier, rig).why}`,
    );
    for (const t of of) console.log(`  ${t.file} › ${t.title}`);
  }
  return 0;
}
