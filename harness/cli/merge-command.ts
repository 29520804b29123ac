// `hupbench merge DIR…`: the shards of one run, spread over hosts (`nightly|gate --shard i/n`), into
// one run folder: Playwright's own `merge-reports` replays their blob reports through the same
// JUnit, Allure and summary reporters as a single run, so the merged JUnit, summary, guarantee
// table and exit code are those of one run; `--gate VERSION` also writes the one gate verdict.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../project-root.ts';
import { buildReport } from '../report/build-report.ts';
import { newResultsFolder } from '../report/results-folder.ts';
import { runExitCode } from '../report/run-exit-code.ts';
import { summaryLine, summaryTable, type RunSummary } from '../report/run-summary.ts';
import { gateLines, gatePlan } from './gate-plan.ts';
import { gateVerdict } from './gate-verdict.ts';
import { requireRelease } from './known.ts';
import { durationsFile, recordedDurations, testKey } from './shard-plan.ts';
import { UsageError } from './usage-error.ts';

export interface MergeOptions {
  gate?: string;
  quick?: boolean;
  report?: boolean;
  /** Write the merged run's test durations to bench/test-durations.json (what shards are balanced by). */
  recordDurations?: boolean;
}

function blobsOf(dir: string): string[] {
  const blobDir = path.join(dir, 'blob');
  const zips = existsSync(blobDir) ? readdirSync(blobDir).filter((f) => f.endsWith('.zip')) : [];
  if (!zips.length)
    throw new UsageError(
      `${dir} holds no blob report (blob/*.zip). Shards write one when run with --shard i/n (hupbench nightly --shard 1/3).`,
    );
  return zips.map((z) => path.join(blobDir, z));
}

export async function merge(dirs: string[], opts: MergeOptions): Promise<number> {
  if (!dirs.length)
    throw new UsageError(
      "Name the shards' results folders: hupbench merge results/…-shard-1-of-3 results/…-shard-2-of-3 …",
    );
  for (const d of dirs) if (!existsSync(d)) throw new UsageError(`No results folder ${d}.`);
  const blobs = dirs.flatMap(blobsOf);
  const target = opts.gate ? await requireRelease(opts.gate, '--gate') : undefined;
  const resultsDir = newResultsFolder(target ? `gate-${target.version}-merged` : 'merged');
  const inbox = path.join(resultsDir, 'blob-in');
  await mkdir(inbox, { recursive: true });
  for (const [i, blob] of blobs.entries()) await copyFile(blob, path.join(inbox, `${i + 1}-${path.basename(blob)}`));
  console.log(`Merging ${blobs.length} blob reports from ${dirs.length} folders into ${resultsDir}`);
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(
      path.join(projectRoot, 'node_modules/.bin/playwright'),
      ['merge-reports', '--config', path.join(projectRoot, 'harness/report/merge.config.ts'), inbox],
      {
        cwd: projectRoot,
        env: { ...process.env, HUPBENCH_RESULTS: resultsDir },
        stdio: 'inherit',
      },
    );
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  const summaryFile = path.join(resultsDir, 'summary.json');
  if (!existsSync(summaryFile))
    throw new Error(`playwright merge-reports (exit ${exitCode}) wrote no summary into ${resultsDir}`);
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummary;
  if (opts.recordDurations) await recordDurations(summary);
  let code = runExitCode(summary.rows, exitCode).code as number;
  let verdictMarkdown: string | undefined;
  if (target) {
    const rigs = [...new Set(summary.rows.map((r) => r.project).filter((p) => p !== 'unit'))];
    const plan = await gatePlan(target, rigs, opts.quick ?? false);
    const verdict = gateVerdict(plan, gateLines(plan, rigs, summary), {
      resultsDir,
      startedAt: new Date(summary.startedAt),
      durationMs: summary.durationMs,
      playwrightExit: exitCode,
    });
    verdictMarkdown = verdict.markdown;
    code = verdict.exitCode;
    await writeFile(path.join(resultsDir, 'verdict.md'), verdict.markdown);
  }
  if (opts.report !== false) {
    await buildReport(resultsDir, {
      verdictMarkdown,
      environment: { merged: dirs.map((d) => path.basename(d)).join(', ') },
    })
      .then((b) => console.log(`Allure report: ${b.reportDir}`))
      .catch((e: Error) => console.log(`Allure report NOT built: ${e.message}`));
  }
  console.log(
    `\n${summaryTable(summary.rows.filter((r) => r.project !== 'unit'))}\nJUnit: ${path.join(resultsDir, 'junit.xml')}`,
  );
  if (verdictMarkdown) console.log(`\n${verdictMarkdown}`);
  console.log(summaryLine(summary));
  return code;
}

/** The merged run's durations (passed tests, all attempts) over the recorded ones: what the next shard plan balances by. */
async function recordDurations(summary: RunSummary): Promise<void> {
  const durationsMs = { ...recordedDurations() };
  for (const r of summary.rows) {
    if (r.verdict.result !== 'passed' && r.verdict.result !== 'flaky') continue;
    durationsMs[testKey({ project: r.project, file: path.relative(projectRoot, r.file), title: r.title })] = Math.round(
      r.durationMs,
    );
  }
  const sorted = Object.fromEntries(Object.entries(durationsMs).sort(([a], [b]) => a.localeCompare(b)));
  await writeFile(
    durationsFile,
    `${JSON.stringify({ note: 'Recorded test durations (ms), by `hupbench merge --record-durations`; shards are balanced by them.', durationsMs: sorted }, null, 2)}\n`,
  );
  console.log(`Recorded ${summary.rows.length} durations into ${path.relative(projectRoot, durationsFile)}`);
}
