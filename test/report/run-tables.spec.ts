// The records tests hand to the reporters (harness/report/test-data.ts) and the per-run tables the
// summary reporter builds from them: schema-checked both ways, a malformed record said rather than
// dropped, the path class taken from the record, and one table from the tests of every worker and
// of every shard (through `playwright merge-reports` and harness/report/merge.config.ts).
import { test, expect } from '@playwright/test';
import type { TestCase } from '@playwright/test/reporter';
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { playwright } from './run-playwright.ts';
import { runTables } from '../../harness/report/run-tables.ts';
import { summaryRow, type RunSummary } from '../../harness/report/run-summary.ts';
import {
  MalformedTestData,
  readAllTestData,
  readTestData,
  recordTestData,
  testDataContentType,
} from '../../harness/report/test-data.ts';

const _root = path.resolve(import.meta.dirname, '../..');
const config = 'test/report/fixture/records-fixture.config.ts';
const paths = ['2.0.0+rev2 → 2.12.3+rev1', '2.9.7+rev1 → 2.12.3+rev1', '1.26.0 → 2.12.3+rev1', '1.26.0 → 1.30.1'];

type Attachment = { name: string; contentType: string; body?: Buffer };
const attempt = () => {
  const attachments: Attachment[] = [];
  return {
    attachments,
    attach: async (name: string, o: { body: string; contentType: string }) =>
      void attachments.push({ name, contentType: o.contentType, body: Buffer.from(o.body) }),
  };
};
const raw = (kind: string, body: string): Attachment => ({
  name: `${kind}.json`,
  contentType: `application/vnd.hupbench.${kind}+json`,
  body: Buffer.from(body),
});
/** Enough of a TestCase for the summary: its project (the rig), title and attempts. */
const testCase = (title: string, attempts: Attachment[][], rig = 'rig-a') =>
  ({
    id: title,
    title,
    annotations: [],
    location: { file: 'x.spec.ts', line: 1, column: 1 },
    parent: { project: () => ({ name: rig }) },
    results: attempts.map((attachments) => ({
      attachments,
      annotations: [],
      status: 'passed',
      errors: [],
      duration: 1,
    })),
  }) as unknown as TestCase;

test('a record is checked when it is made: a malformed one fails the test that made it', async () => {
  const a = attempt();
  await recordTestData(a, 'bandwidth', { bytesReceived: 1024, bytesSent: 10 });
  expect(a.attachments[0]).toMatchObject({ name: 'bandwidth.json', contentType: testDataContentType('bandwidth') });
  // @ts-expect-error: MiB are not bytes; the type says so, and so does the schema at run time.
  await expect(recordTestData(a, 'bandwidth', { receivedMiB: 17.22 })).rejects.toThrow(MalformedTestData);
  await expect(recordTestData(a, 'bandwidth', { bytesReceived: -1, bytesSent: 0 })).rejects.toThrow(/bytesReceived/);
  expect(a.attachments).toHaveLength(1);
});

test('the last record of a kind wins, from the last attempt; a malformed one throws with what is wrong', () => {
  const first = [raw('bandwidth', '{"bytesReceived": 1, "bytesSent": 0}')];
  const last = [
    raw('bandwidth', '{"bytesReceived": 2, "bytesSent": 0}'),
    raw('bandwidth', '{"bytesReceived": 3, "bytesSent": 0}'),
  ];
  expect(readTestData(testCase('t', [first, last]), 'bandwidth')).toEqual({ bytesReceived: 3, bytesSent: 0 });
  expect(readTestData(testCase('t', [first, last]), 'timing')).toBeUndefined();
  expect(() => readTestData({ attachments: [raw('path', '{"name": "x"')] }, 'path')).toThrow(/not JSON/);
  expect(() => readTestData({ title: 'some test', attachments: [raw('path', '{"name": "a → b"}')] }, 'path')).toThrow(
    /the path record of "some test" is malformed:[\s\S]*pathClass/,
  );
  const read = readAllTestData({ attachments: [raw('bandwidth', '{}'), raw('shoe-size', '{}')] });
  expect(read.records).toEqual({});
  expect(read.problems).toEqual([
    expect.stringMatching(/the bandwidth record of a test is malformed/),
    'a test made a record of an unknown kind "shoe-size"',
  ]);
});

test('the path class comes from the record, not from the title', () => {
  const path = { name: '1.26.0 → 1.30.1', pathClass: '1x', from: '1.26.0', to: '1.30.1', updater: 'upgrade-1.x.sh' };
  const misleading = testCase('2.x → 2.x: 1.26.0 → 1.30.1', [[raw('path', JSON.stringify(path))]]);
  expect(summaryRow(misleading)).toMatchObject({ pathClass: '1x', from: '1.26.0', to: '1.30.1' });
  // A title with versions and no record: nothing is guessed from it.
  const untold = summaryRow(testCase('2.x → 2.x: 2.0.0+rev2 → 2.12.3+rev1', [[]]));
  expect(untold).toMatchObject({ path: undefined, pathClass: undefined, from: undefined });
});

test('tests of two rigs make one table per rig; a malformed record is listed, its test left out', () => {
  const bw = (bytes: number) => raw('bandwidth', JSON.stringify({ bytesReceived: bytes, bytesSent: 0 }));
  const { tables, problems } = runTables([
    testCase('a', [[bw(2 ** 20)]], 'rig-a'),
    testCase('b', [[bw(2 * 2 ** 20)]], 'rig-b'),
    testCase('c', [[bw(3 * 2 ** 20)]], 'rig-a'),
    testCase('d', [[raw('bandwidth', '{"receivedMiB": 4}')]], 'rig-a'),
  ]);
  expect(tables.map((t) => t.file)).toEqual(['bandwidth-rig-a.md', 'bandwidth-rig-b.md']);
  expect(tables[0]!.markdown.split('\n').slice(2)).toEqual(['|  | a | 1.00 | 0.00 |  |', '|  | c | 3.00 | 0.00 |  |']);
  expect(problems).toEqual([expect.stringMatching(/^the bandwidth record of "d" is malformed/)]);
});

test.describe('a fixture run through the summary reporter', () => {
  test.describe.configure({ mode: 'serial' });
  test.setTimeout(120_000);

  const expectTables = (out: string) => {
    const bandwidth = readFileSync(path.join(out, 'bandwidth-records-fixture.md'), 'utf8');
    expect(bandwidth).toContain('# Bandwidth per update path, device eth0 while the updater ran (records-fixture)');
    for (const p of paths) expect(bandwidth).toContain(`| ${p} |`);
    // The class is the record's, though the title says 2.x → 2.x.
    expect(bandwidth).toContain('| 1x | 1.26.0 → 1.30.1 | 88.00 | 0.25 |  |');
    expect(bandwidth).toContain('| 2x | 2.9.7+rev1 → 2.12.3+rev1 | 17.00 | 0.25 |  |');
    const timings = readFileSync(path.join(out, 'timings-records-fixture.md'), 'utf8');
    expect(timings.match(/^\| (2x|1x-2x|1x) \|/gm)).toHaveLength(4);
    expect(timings).toContain('| 200 | 20 (resumed) | 100 | 40 | 45 | 0 | 160 | 1.25 | pull 60 s |');
    const limits = readFileSync(path.join(out, 'data-limits-records-fixture.md'), 'utf8');
    expect(limits).toContain('| 1.26.0 → 2.12.3+rev1 | 200 MB incompressible | over | 171.2 | - | 1 | 30 |');
    const guarantees = readFileSync(path.join(out, 'guarantee-table-records-fixture.md'), 'utf8');
    expect(guarantees).toMatch(/^\| records-fixture \| upgrade-2\.x\.sh \| export \+1500 \| old-os \|/m);
    // The malformed record is said, in summary.md and summary.json, not dropped silently.
    const summaryMd = readFileSync(path.join(out, 'summary.md'), 'utf8');
    expect(summaryMd).toMatch(
      /Records that did not read[^\n]*\n- the bandwidth record of "records fixture: a bandwidth record in MiB, as prose would have it" is malformed/,
    );
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as RunSummary;
    const bad = summary.rows.find((r) => r.title.includes('as prose would have it'));
    expect(bad?.dataProblems?.[0]).toMatch(/bytesReceived/);
    expect(summary.rows.find((r) => r.title.endsWith('1.26.0 → 1.30.1'))).toMatchObject({ pathClass: '1x' });
  };

  test('tests that ran on two workers land in one table per kind', async ({}, testInfo) => {
    const out = testInfo.outputPath('two-workers');
    const run = await playwright(['test', '--config', config], { HUPBENCH_FIXTURE_RESULTS: out });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('Records that did not read');
    type Suite = { specs?: Array<{ tests: Array<{ results: Array<{ parallelIndex: number }> }> }>; suites?: Suite[] };
    const json = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { suites: Suite[] };
    const workers = new Set<number>();
    const walk = (s: Suite): void => {
      for (const spec of s.specs ?? [])
        for (const t of spec.tests) for (const r of t.results) workers.add(r.parallelIndex);
      for (const child of s.suites ?? []) walk(child);
    };
    json.suites.forEach(walk);
    expect([...workers].sort(), 'both workers ran tests of the fixture').toEqual([0, 1]);
    expectTables(out);
  });

  test('two shards merged by `playwright merge-reports` land in one table per kind', async ({}, testInfo) => {
    const blobs = testInfo.outputPath('blobs');
    mkdirSync(blobs, { recursive: true });
    for (const shard of ['1/2', '2/2']) {
      const dir = testInfo.outputPath(`shard-${shard[0]}`);
      const run = await playwright(['test', '--config', config, `--shard=${shard}`], {
        HUPBENCH_FIXTURE_RESULTS: dir,
        HUPBENCH_FIXTURE_BLOB: dir,
      });
      expect(run.code, run.output).toBe(0);
      for (const zip of readdirSync(dir).filter((f) => f.endsWith('.zip')))
        copyFileSync(path.join(dir, zip), path.join(blobs, zip));
    }
    expect(readdirSync(blobs)).toHaveLength(2);
    const out = testInfo.outputPath('merged');
    const merged = await playwright(['merge-reports', '--config', 'harness/report/merge.config.ts', blobs], {
      HUPBENCH_RESULTS: out,
    });
    expect(merged.code, merged.output).toBe(0);
    expectTables(out);
  });
});
