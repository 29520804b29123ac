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
import { gateBudget } from './gate-budget.ts';
import { gateVerdict } from './gate-verdict.ts';
import { requireRelease } from './known.ts';
import { durationsFile, recordedDurations } from '../matrix/recorded-durations.ts';
import { selectionListName, testKey } from './shard-plan.ts';
import { UsageError } from './usage-error.ts';

export interface MergeOptions {
  gate?: string;
  quick?: boolean;
  /** With --gate: the whole update's budget per path, MiB, over the release manifest's. */
  budgetMib?: number;
  report?: boolean;
  /** Write the merged run's test durations to bench/test-durations.json (what shards are balanced by). */
  recordDurations?: boolean;
}

/** A shard's `--test-list` file (shard-plan.ts), if it ran as one: `shard-2-of-3.tests.txt`. */
function shardListOf(dir: string): string | undefined {
  const list = readdirSync(dir).find((f) => /^shard-\d+-of-\d+\.tests\.txt$/.test(f));
  return list && path.join(dir, list);
}

/** The selection in one run's order, which every shard writes (shard-plan.ts); from the first that has it. */
function selectionList(dirs: string[]): string | undefined {
  return dirs.map((d) => path.join(d, selectionListName)).find((f) => existsSync(f));
}

/**
 * The blob reports of the shards' folders. A shard the balanced plan left without tests (more
 * shards than tests) ran nothing and wrote no blob: it is skipped, said, not an error.
 */
export function shardBlobs(dirs: string[]): { blobs: string[]; emptyShards: string[] } {
  const blobs: string[] = [];
  const emptyShards: string[] = [];
  for (const dir of dirs) {
    const blobDir = path.join(dir, 'blob');
    const zips = existsSync(blobDir) ? readdirSync(blobDir).filter((f) => f.endsWith('.zip')) : [];
    const list = shardListOf(dir);
    const listed = list
      ? readFileSync(list, 'utf8')
          .split('\n')
          .filter((l) => l.trim() && !l.startsWith('#'))
      : [];
    if (!zips.length && list && !listed.length) emptyShards.push(dir);
    else if (!zips.length)
      throw new UsageError(
        `${dir} holds no blob report (blob/*.zip). Shards write one when run with --shard i/n (hupbench nightly --shard 1/3).`,
      );
    blobs.push(...zips.sort().map((z) => path.join(blobDir, z)));
  }
  if (!blobs.length) throw new UsageError(`None of the shards ran a test: nothing to merge (${dirs.join(', ')}).`);
  return { blobs, emptyShards };
}

export async function merge(dirs: string[], opts: MergeOptions): Promise<number> {
  if (!dirs.length)
    throw new UsageError(
      "Name the shards' results folders: hupbench merge results/…-shard-1-of-3 results/…-shard-2-of-3 …",
    );
  for (const d of dirs) if (!existsSync(d)) throw new UsageError(`No results folder ${d}.`);
  const { blobs, emptyShards } = shardBlobs(dirs);
  for (const d of emptyShards) console.log(`${d}: a shard left without tests (it ran nothing); skipped.`);
  const target = opts.gate ? await requireRelease(opts.gate, '--gate') : undefined;
  const resultsDir = newResultsFolder(target ? `gate-${target.version}-merged` : 'merged');
  console.log(`Merging ${blobs.length} blob reports from ${dirs.length} folders into ${resultsDir}`);
  const exitCode = await mergeReports(blobs, resultsDir, selectionList(dirs));
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
    const verdict = gateVerdict(
      plan,
      gateLines(plan, rigs, summary),
      {
        resultsDir,
        startedAt: new Date(summary.startedAt),
        durationMs: summary.durationMs,
        playwrightExit: exitCode,
      },
      await gateBudget(target, opts.budgetMib),
    );
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

/**
 * `playwright merge-reports` of the blobs into `resultsDir` through merge.config.ts's reporters;
 * `orderFile`: the selection in one run's order (rows, JUnit cases). Returns its exit code.
 */
export async function mergeReports(blobs: string[], resultsDir: string, orderFile?: string): Promise<number> {
  const inbox = path.join(resultsDir, 'blob-in');
  await mkdir(inbox, { recursive: true });
  for (const [i, blob] of blobs.entries()) await copyFile(blob, path.join(inbox, `${i + 1}-${path.basename(blob)}`));
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(
      path.join(projectRoot, 'node_modules/.bin/playwright'),
      ['merge-reports', '--config', path.join(projectRoot, 'harness/report/merge.config.ts'), inbox],
      {
        cwd: projectRoot,
        env: { ...process.env, HUPBENCH_RESULTS: resultsDir, ...(orderFile && { HUPBENCH_MERGE_ORDER: orderFile }) },
        stdio: 'inherit',
      },
    );
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  const junit = path.join(resultsDir, 'junit.xml');
  const summary = path.join(resultsDir, 'summary.json');
  // Note: the JUnit reporter stamps its suites when merge-reports begins; the run began with its first shard.
  const startedAt = existsSync(summary)
    ? (JSON.parse(readFileSync(summary, 'utf8')) as RunSummary).startedAt
    : undefined;
  if (existsSync(junit))
    await writeFile(
      junit,
      oneSuitePerFile(readFileSync(junit, 'utf8'), orderFile ? readFileSync(orderFile, 'utf8') : '', startedAt),
    );
  return exitCode;
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

interface XmlBlock {
  open: string;
  body: string;
}

/** The `<tag …>…</tag>` blocks of `xml` in order; CDATA (test output) is skipped, whatever it holds. */
function blocks(xml: string, tag: string): XmlBlock[] {
  const found: XmlBlock[] = [];
  let open: { tag: string; end: number } | undefined;
  for (const m of xml.matchAll(new RegExp(`<!\\[CDATA\\[[\\s\\S]*?\\]\\]>|<${tag}\\s[^>]*>|</${tag}>`, 'g'))) {
    if (m[0].startsWith('<![CDATA[')) continue;
    if (!m[0].startsWith('</')) open = { tag: m[0], end: m.index + m[0].length };
    else if (open) {
      found.push({ open: open.tag, body: xml.slice(open.end, m.index) });
      open = undefined;
    }
  }
  return found;
}

const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1] ?? '';
const withAttr = (tag: string, name: string, value: string | number) =>
  tag.replace(new RegExp(`(\\s${name}=")[^"]*(")`), `$1${value}$2`);

/**
 * Playwright's JUnit under merge-reports has a project suite per shard, so a file whose tests were
 * spread over shards comes out as several `<testsuite>`s with a part of the counts each. Here it is
 * one per file and rig again, its cases in the order of one run (`list`: the selection, as
 * shard-plan.ts writes it; cases it does not name keep their order), counts and times summed, and
 * stamped with the run's start (`startedAt`) rather than the merge's.
 */
export function oneSuitePerFile(xml: string, list: string, startedAt?: string): string {
  const root = /<testsuites[^>]*>/.exec(xml)?.[0];
  if (!root) return xml;
  const rank = new Map(
    list
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l, i) => [l, i] as const),
  );
  const unescaped = (s: string) =>
    s.replace(/&(quot|apos|lt|gt|amp);/g, (_, e: string) => ({ quot: '"', apos: "'", lt: '<', gt: '>', amp: '&' })[e]!);
  const groups = new Map<string, { open: string; cases: Array<{ text: string; rank: number }>; sums: number[] }>();
  const counted = ['tests', 'failures', 'skipped', 'errors', 'time'];
  for (const suite of blocks(xml, 'testsuite')) {
    const host = attr(suite.open, 'hostname');
    const key = `${host}\n${attr(suite.open, 'name')}`;
    const group = groups.get(key) ?? { open: suite.open, cases: [], sums: counted.map(() => 0) };
    groups.set(key, group);
    for (const [i, a] of counted.entries()) group.sums[i]! += Number(attr(suite.open, a)) || 0;
    for (const c of blocks(suite.body, 'testcase')) {
      const id = `[${host}] › ${unescaped(attr(c.open, 'classname'))} › ${unescaped(attr(c.open, 'name'))}`;
      group.cases.push({ text: `${c.open}${c.body}</testcase>`, rank: rank.get(id) ?? rank.size + group.cases.length });
    }
  }
  const suites = [...groups.values()].map((g) => {
    g.cases.sort((a, b) => a.rank - b.rank);
    const open = counted.reduce(
      (tag, a, i) => withAttr(tag, a, a === 'time' ? Math.round(g.sums[i]! * 1000) / 1000 : g.sums[i]!),
      startedAt ? withAttr(g.open, 'timestamp', startedAt) : g.open,
    );
    return { rank: g.cases[0]?.rank ?? 0, text: `${open}\n${g.cases.map((c) => c.text).join('\n')}\n</testsuite>` };
  });
  suites.sort((a, b) => a.rank - b.rank);
  return `${root}\n${suites.map((s) => s.text).join('\n')}\n</testsuites>`;
}
