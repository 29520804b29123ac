// A run spread over shards and merged by `hupbench merge` says what one unsharded run says: the
// fixture project run once, and as three shards planned as `--shard i/n` plans them (shard-plan.ts:
// the tests interleaved, not in runs of the file), merged through merge.config.ts — the same rows in
// the same order, the same tables, one JUnit suite per file with the same cases and counts. Plus the
// pieces: JUnit suites joined, rows put in run order, a shard left without tests, the plan listed
// under the run's own environment.
import { test, expect } from '@playwright/test';
import type { TestCase } from '@playwright/test/reporter';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { playwright } from './run-playwright.ts';
import { mergeReports, oneSuitePerFile, shardBlobs } from '../../harness/cli/merge-command.ts';
import { listTests, selectionListName, writeShardList } from '../../harness/cli/shard-plan.ts';
import type { RunSummary } from '../../harness/report/run-summary.ts';
import { inListedOrder } from '../../harness/report/summary-reporter.ts';

const _root = path.resolve(import.meta.dirname, '../..');
const config = 'test/report/fixture/records-fixture.config.ts';

const suite = (name: string, counts: string, cases: string[]) =>
  `<testsuite name="${name}" timestamp="t" hostname="rig" ${counts} errors="0">\n${cases.join('\n')}\n</testsuite>`;
const testcase = (name: string, file = 'suites/a.spec.ts', body = '') =>
  `<testcase name="${name}" classname="${file}" time="1">\n${body}</testcase>`;

test('JUnit suites split over shards are one per file again, cases in run order, counts summed', () => {
  const merged = [
    '<testsuites id="" name="" tests="4" failures="1" skipped="0" errors="0" time="9">',
    suite('suites/a.spec.ts', 'tests="2" failures="1" skipped="0" time="2.5"', [
      testcase(
        'third',
        undefined,
        '<failure message="x" type="FAILURE">\n<![CDATA[</testsuite> in the output]]>\n</failure>\n',
      ),
      testcase('first &amp; only'),
    ]),
    suite('suites/b.spec.ts', 'tests="1" failures="0" skipped="0" time="1"', [testcase('b', 'suites/b.spec.ts')]),
    suite('suites/a.spec.ts', 'tests="1" failures="0" skipped="0" time="1.25"', [testcase('second')]),
    '</testsuites>',
  ].join('\n');
  const list = ['# the selection', 'first & only', 'second', 'third'].map((t) => `[rig] › suites/a.spec.ts › ${t}`);
  const out = oneSuitePerFile(merged, [...list, '[rig] › suites/b.spec.ts › b'].join('\n'), '2026-11-29T09:00:00.000Z');
  const suites = [...out.matchAll(/<testsuite [^>]*>/g)].map((m) => m[0]);
  expect(suites).toEqual([
    '<testsuite name="suites/a.spec.ts" timestamp="2026-11-29T09:00:00.000Z" hostname="rig" tests="3" failures="1" skipped="0" time="3.75" errors="0">',
    '<testsuite name="suites/b.spec.ts" timestamp="2026-11-29T09:00:00.000Z" hostname="rig" tests="1" failures="0" skipped="0" time="1" errors="0">',
  ]);
  expect([...out.matchAll(/<testcase name="([^"]*)"/g)].map((m) => m[1])).toEqual([
    'first &amp; only',
    'second',
    'third',
    'b',
  ]);
  expect(out).toContain('<![CDATA[</testsuite> in the output]]>');
  expect(out.startsWith('<testsuites id="" name="" tests="4"')).toBe(true);
});

test('merged rows come in the order of the selection; tests it does not name keep theirs, after it', () => {
  const tc = (title: string) =>
    ({ title, location: { file: '/r/suites/a.spec.ts' }, parent: { project: () => ({ name: 'rig' }) } }) as TestCase;
  const tests = ['c', 'x', 'a', 'b', 'y'].map(tc);
  const list =
    '# selection\n[rig] › suites/a.spec.ts › a\n[rig] › suites/a.spec.ts › b\n[rig] › suites/a.spec.ts › c\n';
  expect(inListedOrder(tests, '/r', list).map((t) => t.title)).toEqual(['a', 'b', 'c', 'x', 'y']);
});

test('a shard the plan left without tests is skipped; a folder without a blob is not a shard', ({}, testInfo) => {
  const dir = (name: string, files: Record<string, string>) => {
    const d = testInfo.outputPath(name);
    for (const [f, body] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
      writeFileSync(path.join(d, f), body);
    }
    mkdirSync(d, { recursive: true });
    return d;
  };
  const ran = dir('ran', {
    'shard-1-of-3.tests.txt': '# shard 1\n[rig] › a › b\n',
    'blob/report-shard-1-of-3.zip': '',
  });
  const empty = dir('empty', { 'shard-3-of-3.tests.txt': '# shard 3 of 3, balanced by …\n\n' });
  const other = dir('other', { 'summary.json': '{}' });
  expect(shardBlobs([ran, empty])).toEqual({
    blobs: [path.join(ran, 'blob/report-shard-1-of-3.zip')],
    emptyShards: [empty],
  });
  expect(() => shardBlobs([ran, other])).toThrow(/other holds no blob report/);
  expect(() => shardBlobs([empty])).toThrow(/None of the shards ran a test/);
});

test("a shard's plan lists the selection under the run's environment, not the planner's", async () => {
  test.setTimeout(60_000);
  const all = await listTests(['--config', config]);
  const cuts = await listTests(['--config', config], { ...process.env, HUPBENCH_FIXTURE_GREP: 'power cut' });
  expect(all).toHaveLength(6);
  expect(cuts.map((t) => t.title)).toEqual(['records fixture: power cut: upgrade-2.x.sh in export → old-os']);
});

/** What must not differ between two runs of the same tests: everything but timings. */
function normalised(dir: string): { rows: unknown[]; markdown: Record<string, string>; junit: string } {
  const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
  const rows = summary.rows.map(({ durationMs: _d, file, ...r }) => ({ ...r, file: path.basename(file) }));
  const markdown = Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.md'))
      .map((f) => [f, readFileSync(path.join(dir, f), 'utf8').replace(/\| \d+ s \|/g, '| # s |')]),
  );
  const junit = readFileSync(path.join(dir, 'junit.xml'), 'utf8')
    .replace(/ (time|timestamp)="[^"]*"/g, '')
    .replace(/\[\[ATTACHMENT\|[^\]]*\]\]/g, '[[ATTACHMENT]]');
  return { rows, markdown, junit };
}

test('three interleaved shards merged equal one unsharded run: rows, order, tables, JUnit', async ({}, testInfo) => {
  test.setTimeout(240_000);
  const one = testInfo.outputPath('unsharded');
  const run = await playwright(['test', '--config', config], { HUPBENCH_FIXTURE_RESULTS: one });
  expect(run.code, run.output).toBe(0);
  const blobs: string[] = [];
  const shards = testInfo.outputPath('shards');
  const lists: string[] = [];
  for (const i of [1, 2, 3]) {
    const dir = path.join(shards, String(i));
    mkdirSync(dir, { recursive: true });
    const list = await writeShardList(['--config', config], i, 3, path.join(dir, `shard-${i}-of-3.tests.txt`));
    lists.push(readFileSync(list.file, 'utf8'));
    const shard = await playwright(['test', '--config', config, '--test-list', list.file], {
      HUPBENCH_FIXTURE_RESULTS: dir,
      HUPBENCH_FIXTURE_BLOB: path.join(dir, 'blob'),
    });
    expect(shard.code, shard.output).toBe(0);
    blobs.push(...shardBlobs([dir]).blobs);
  }
  // The plan interleaves the file's tests, so merge-reports alone would give them shard by shard.
  expect(lists.map((l) => l.split('\n').filter((t) => t.startsWith('[')).length)).toEqual([2, 2, 2]);
  const out = testInfo.outputPath('merged');
  const mergeBegan = Date.now();
  const code = await mergeReports(blobs, out, path.join(shards, '1', selectionListName));
  expect(code).toBe(0);
  // The merged run began with its first shard, not with the merge.
  const { startedAt } = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as RunSummary;
  expect(Date.parse(startedAt)).toBeLessThan(mergeBegan);
  expect(readFileSync(path.join(out, 'junit.xml'), 'utf8')).toContain(`timestamp="${startedAt}"`);
  const [a, b] = [normalised(one), normalised(out)];
  expect(b.rows).toEqual(a.rows);
  expect(Object.keys(b.markdown).sort()).toEqual(Object.keys(a.markdown).sort());
  for (const f of Object.keys(a.markdown)) expect(b.markdown[f], f).toBe(a.markdown[f]);
  expect(b.junit).toBe(a.junit);
});
