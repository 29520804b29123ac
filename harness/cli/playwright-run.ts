// The CLI runs suites by invoking Playwright, not by re-implementing its fixtures: the rig, registry
// and evidence fixtures, retries, JUnit and Allure output are then exactly those of `npm run hil`.
// Selection is Playwright's own: --project per rig, the suite files, and a grep on the test title.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../images/lib/cache.ts';
import type { RunSummary } from '../report/run-summary.ts';

export interface PlaywrightRun {
  exitCode: number;
  summary?: RunSummary;
  resultsDir: string;
}

export interface PlaywrightSelection {
  resultsDir: string;
  projects: string[];
  files?: string[];
  grep?: string;
  retries?: number;
  /** Progress lines (harness/report/progress-reporter.ts) instead of the list reporter. */
  progress?: boolean;
  /** Playwright's `--shard i/n`: this host's share of the selected tests. */
  shard?: string;
  extraEnv?: Record<string, string>;
}

export function runPlaywright(sel: PlaywrightSelection): Promise<PlaywrightRun> {
  const args = ['test', ...(sel.files ?? []), ...sel.projects.flatMap((p) => ['--project', p])];
  if (sel.grep) args.push('--grep', sel.grep);
  if (sel.shard) args.push('--shard', sel.shard);
  const env: NodeJS.ProcessEnv = { ...process.env, HUPBENCH_RESULTS: sel.resultsDir, TESTCONTAINERS_RYUK_DISABLED: 'true', ...sel.extraEnv };
  if (sel.progress) env.HUPBENCH_PROGRESS = '1';
  if (sel.retries !== undefined) env.HUPBENCH_RETRIES = String(sel.retries);
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(projectRoot, 'node_modules/.bin/playwright'), args, { cwd: projectRoot, env, stdio: 'inherit' });
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
