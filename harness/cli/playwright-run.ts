// The CLI runs suites by invoking Playwright, not by re-implementing its fixtures: the rig, registry
// and evidence fixtures, retries, JUnit and Allure output are then exactly those of `npm run hil`.
// Selection is Playwright's own: --project per rig, the suite files, and a grep on the test title.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../project-root.ts';
import type { RunSummary } from '../report/run-summary.ts';
import { writeShardList } from './shard-plan.ts';

export interface PlaywrightRun {
  exitCode: number;
  summary?: RunSummary;
  resultsDir: string;
  /** A shard that the balanced plan left without tests (more hosts than tests): nothing ran, nothing failed. */
  emptyShard?: boolean;
}

export interface PlaywrightSelection {
  resultsDir: string;
  projects: string[];
  files?: string[];
  grep?: string;
  retries?: number;
  /** Progress lines (harness/report/progress-reporter.ts) instead of the list reporter. */
  progress?: boolean;
  /** `i/n`: this host's share of the selected tests, balanced by recorded durations (shard-plan.ts). */
  shard?: string;
  extraEnv?: Record<string, string>;
}

/** The selection as Playwright arguments (also what `--list` is given to plan shards). */
export function selectionArgs(sel: Pick<PlaywrightSelection, 'files' | 'projects' | 'grep'>): string[] {
  return [
    ...(sel.files ?? []),
    ...sel.projects.flatMap((p) => ['--project', p]),
    ...(sel.grep ? ['--grep', sel.grep] : []),
  ];
}

export async function runPlaywright(sel: PlaywrightSelection): Promise<PlaywrightRun> {
  const args = ['test', ...selectionArgs(sel)];
  const extraEnv: Record<string, string> = {};
  if (sel.shard) {
    // This host's share, balanced by recorded durations; its blob report is what `hupbench merge` reads.
    const [index, total] = sel.shard.split('/').map(Number) as [number, number];
    const list = await writeShardList(
      selectionArgs(sel),
      index,
      total,
      path.join(sel.resultsDir, `shard-${index}-of-${total}.tests.txt`),
      // Planned under the run's own environment: a gate's tier (full) selects tests the nightly's does not.
      { ...process.env, ...extraEnv, ...sel.extraEnv },
    );
    console.log(
      `Shard ${index} of ${total}: ${list.tests} test${list.tests === 1 ? '' : 's'} (${(list.estimatedMs / 60000).toFixed(0)} min recorded), listed in ${list.file}`,
    );
    if (!list.tests) return { exitCode: 0, summary: undefined, resultsDir: sel.resultsDir, emptyShard: true };
    args.push('--test-list', list.file);
    extraEnv.HUPBENCH_BLOB = `shard-${index}-of-${total}`;
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HUPBENCH_RESULTS: sel.resultsDir,
    TESTCONTAINERS_RYUK_DISABLED: 'true',
    ...extraEnv,
    ...sel.extraEnv,
  };
  if (sel.progress) env.HUPBENCH_PROGRESS = '1';
  if (sel.retries !== undefined) env.HUPBENCH_RETRIES = String(sel.retries);
  return new Promise<PlaywrightRun>((resolve, reject) => {
    const child = spawn(path.join(projectRoot, 'node_modules/.bin/playwright'), args, {
      cwd: projectRoot,
      env,
      stdio: 'inherit',
    });
    // Note: Ctrl-C reaches Playwright through the terminal's process group; it stops its workers
    // (and their QEMU, tied to them with pdeathsig) and still writes its reports.
    child.on('error', reject);
    child.on('close', (code) => {
      const file = path.join(sel.resultsDir, 'summary.json');
      const summary = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunSummary) : undefined;
      resolve({ exitCode: code ?? 1, summary, resultsDir: sel.resultsDir });
    });
  });
}

/** A version as a literal inside a grep regex. */
export const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
