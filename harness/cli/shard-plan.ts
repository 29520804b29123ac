// Shards balanced by duration, not by count: a HIL matrix mixes 40-second boot checks with
// 15-minute migrations, so Playwright's count split leaves one host working long after the others.
// Every host computes the same plan from the same inputs — the selected tests (`playwright test
// --list`) and the committed durations file (bench/test-durations.json, written by `hupbench merge
// --record-durations`) — and runs its share with Playwright's own `--test-list`.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../project-root.ts';
import { durationsFile, recordedDurations } from '../matrix/recorded-durations.ts';

/** A test as `--test-list` names it: `[project] › file › title`. */
export interface ListedTest {
  project: string;
  file: string;
  title: string;
}

/** Beside each shard's list: the whole selection in run order (what the merged rows are put in). */
export const selectionListName = 'selection.tests.txt';

export const testKey = (t: ListedTest) => `[${t.project}] › ${t.file} › ${t.title}`;

interface JsonSuite {
  title: string;
  file: string;
  specs?: Array<{ title: string; tests: Array<{ projectName: string }> }>;
  suites?: JsonSuite[];
}

/**
 * The tests a selection would run, from Playwright's JSON list (no test runs). `env` is the
 * environment the run itself gets: the tier (HUPBENCH_TIER) and the rigs (HUPBENCH_RIGS) decide
 * what the config selects, so a plan listed without them is not the run's (a gate's full tier).
 */
export async function listTests(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ListedTest[]> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      path.join(projectRoot, 'node_modules/.bin/playwright'),
      ['test', '--list', '--reporter=json', ...args],
      {
        cwd: projectRoot,
        env: { ...env, HUPBENCH_RESULTS: path.join(projectRoot, '.cache/list-run') },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(text) : reject(new Error(`playwright test --list exited ${code}`)),
    );
  });
  const tests: ListedTest[] = [];
  // Note: describe() titles would join the title path; the suites use none, so a spec title is the test's.
  const visit = (suite: JsonSuite) => {
    for (const spec of suite.specs ?? [])
      for (const t of spec.tests) tests.push({ project: t.projectName, file: suite.file, title: spec.title });
    for (const child of suite.suites ?? []) visit(child);
  };
  for (const suite of (JSON.parse(out) as { suites: JsonSuite[] }).suites) visit(suite);
  return tests;
}

/**
 * Longest first onto the least-loaded shard (LPT). A test never recorded weighs the median of its
 * file's recorded tests, else of all of them, else 1 (which is a count split).
 */
export function balanceShards(tests: ListedTest[], total: number, durations: Record<string, number>): ListedTest[][] {
  const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : undefined);
  const known = (t: ListedTest) => durations[testKey(t)];
  const all = median(tests.map(known).filter((d): d is number => d !== undefined)) ?? 1;
  const weight = (t: ListedTest) =>
    known(t) ??
    median(
      tests
        .filter((o) => o.file === t.file)
        .map(known)
        .filter((d): d is number => d !== undefined),
    ) ??
    all;
  const weighted = tests
    .map((t) => ({ t, w: weight(t) }))
    .sort((a, b) => b.w - a.w || testKey(a.t).localeCompare(testKey(b.t)));
  const shards = Array.from({ length: total }, () => ({ tests: [] as ListedTest[], load: 0 }));
  for (const { t, w } of weighted) {
    const least = shards.reduce((min, s) => (s.load < min.load ? s : min));
    least.tests.push(t);
    least.load += w;
  }
  return shards.map((s) => s.tests);
}

/**
 * Writes shard `index` of `total` (1-based) of the selection as a `--test-list` file; returns its path
 * and load. `env`: the environment the shard's run gets (what the selection is listed under).
 */
export async function writeShardList(
  args: string[],
  index: number,
  total: number,
  outFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ file: string; tests: number; estimatedMs: number }> {
  const durations = recordedDurations();
  const selection = await listTests(args, env);
  const shard = balanceShards(selection, total, durations)[index - 1] ?? [];
  // The whole selection in the order one run has it: `hupbench merge` puts the merged rows in it.
  await writeFile(
    path.join(path.dirname(outFile), selectionListName),
    `# the selection of all ${total} shards, in the order of one unsharded run\n${selection.map(testKey).join('\n')}\n`,
  );
  await writeFile(
    outFile,
    `# shard ${index} of ${total}, balanced by ${path.relative(projectRoot, durationsFile)}\n${shard.map(testKey).join('\n')}\n`,
  );
  return {
    file: outFile,
    tests: shard.length,
    estimatedMs: shard.reduce((sum, t) => sum + (durations[testKey(t)] ?? 0), 0),
  };
}
