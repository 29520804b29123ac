// The whole update's bandwidth in the reports: the rig's table by component with the device's own
// bytes and a findings count, a table of the findings, the chart stacked by component with the
// findings marked, the prose of the test's description and summary.json's row; records without the
// whole update keep the old columns and the old chart.
import { test, expect } from '@playwright/test';
import type { TestCase } from '@playwright/test/reporter';
import { bandwidthTable, findingsTable } from '../../harness/report/bandwidth-tables.ts';
import { renderBandwidthSvg } from '../../harness/report/render/bandwidth-svg.ts';
import { bandwidthProse } from '../../harness/report/report-evidence.ts';
import { summaryRow } from '../../harness/report/run-summary.ts';
import { runTables } from '../../harness/report/run-tables.ts';
import { testDataContentType } from '../../harness/report/test-data.ts';
import { updateBandwidth } from '../../harness/report/update-bandwidth.ts';
import { clean2x, migration, registryOnly } from './fixture/update-traffic.ts';

const old = { bytesReceived: 17 * 2 ** 20, bytesSent: 2 ** 18 };
const rows = [
  { pathClass: '2x', path: '2.9.7+rev1 → 2.12.3+rev1', record: clean2x },
  { pathClass: '1x-2x', path: '1.30.1 → 2.12.3+rev1', record: migration },
];

test('the whole update per path: MiB by component, total served, the device without SSH, findings', () => {
  const table = bandwidthTable(rows)!;
  const lines = table.split('\n');
  expect(lines[0]).toBe(
    '| class | path | hostOS MiB | supervisor MiB | tools/resinhup MiB | app MiB | protocol MiB | total served MiB | device received MiB | device sent MiB | findings |',
  );
  expect(lines[2]).toBe(
    '| 2x | 2.9.7+rev1 → 2.12.3+rev1 | 90.00 | 10.00 | 0.00 | 0.00 | 1.00 | 101.00 | 104.00 | 3.00 | 0 |',
  );
  expect(lines[3]).toBe(
    '| 1x-2x | 1.30.1 → 2.12.3+rev1 | 100.00 | 50.00 | 45.00 | 323.00 | 2.00 | 520.00 | 530.00 | 7.00 | 1 |',
  );
  expect(findingsTable(rows)!.split('\n').slice(2)).toEqual([
    '| 1.30.1 → 2.12.3+rev1 | held-pulled-again | app | 323.00 | first-boot | the app the device ran before the update, pulled again |',
  ]);
  expect(findingsTable(rows.slice(0, 1))).toBeUndefined();
});

test('records without the whole update keep the old columns, after the whole-update table', () => {
  const onlyOld = bandwidthTable([{ pathClass: '2x', path: 'a → b', record: old }])!;
  expect(onlyOld.split('\n')[0]).toBe('| class | path | MiB received | MiB sent | MiB served by the registry |');
  expect(onlyOld).toContain('| 2x | a → b | 17.00 | 0.25 |  |');
  const mixed = bandwidthTable([...rows, { pathClass: '2x', path: 'a → b', record: old }])!;
  expect(mixed).toMatch(/\| findings \|[\s\S]*Paths without a whole-update record[\s\S]*\| 2x \| a → b \| 17\.00 \|/);
});

test('the run tables: a findings table beside the bandwidth table, per rig', () => {
  const attach = (kind: string, body: unknown) => ({
    name: `${kind}.json`,
    contentType: testDataContentType(kind as 'bandwidth'),
    body: Buffer.from(JSON.stringify(body)),
  });
  const test1 = {
    id: 'm',
    title: 'migration',
    annotations: [],
    location: { file: 'x.spec.ts', line: 1, column: 1 },
    parent: { project: () => ({ name: 'rig-a' }) },
    results: [
      { attachments: [attach('bandwidth', migration)], annotations: [], status: 'passed', errors: [], duration: 1 },
    ],
  } as unknown as TestCase;
  const { tables, problems } = runTables([test1]);
  expect(problems).toEqual([]);
  expect(tables.map((t) => t.file)).toEqual(['bandwidth-rig-a.md', 'bandwidth-findings-rig-a.md']);
  expect(tables[0]!.title).toMatch(/whole update/);
  const row = summaryRow(test1);
  expect(row.bandwidth).toMatchObject({
    wholeMiB: 530,
    wholeBasis: 'device received',
    components: { app: 323, tools: 45 },
    findings: [{ kind: 'held-pulled-again', component: 'app', mib: 323, phase: 'first-boot' }],
  });
  expect(row.receivedMiB).toBe(200);
});

test('the whole update is the device received, or the registry total when the device was not counted', () => {
  expect(updateBandwidth(clean2x)).toMatchObject({ wholeMiB: 104, wholeBasis: 'device received' });
  expect(updateBandwidth(registryOnly)).toMatchObject({ wholeMiB: 101, wholeBasis: 'registry served' });
  expect(updateBandwidth(old)).toBeUndefined();
});

test('the chart stacks the components, with a legend, and marks each finding in red', () => {
  const svg = renderBandwidthSvg([
    { path: '2.9.7+rev1 → 2.12.3+rev1', rig: 'r', receivedMiB: 100, sentMiB: 1, whole: updateBandwidth(clean2x) },
    { path: '1.30.1 → 2.12.3+rev1', rig: 'r', receivedMiB: 200, sentMiB: 2, whole: updateBandwidth(migration) },
  ]);
  expect(svg).toContain('MiB per update path, whole update');
  expect(svg).toMatch(/<g class="legend">.*hostOS.*supervisor.*tools\/resinhup.*app.*protocol/);
  expect(svg.match(/<title>hostOS /g)).toHaveLength(2);
  expect(svg).toContain('<title>app 323.00 MiB</title>');
  expect(svg.match(/<line class="finding"/g)).toHaveLength(1);
  expect(svg).toMatch(/<tspan fill="#c00000">re-pulled 323 MiB<\/tspan>/);
  // Without the whole update: the old chart.
  const plain = renderBandwidthSvg([{ path: 'a → b', rig: 'r', receivedMiB: 20, sentMiB: 0.1 }]);
  expect(plain).toContain('Bytes pulled per update path');
  expect(plain).not.toContain('legend');
});

test("the test's description names the components and the findings", () => {
  const prose = bandwidthProse(migration);
  expect(prose).toMatch(/^whole update: the registry served 520\.00 MiB \(hostOS 100\.0, supervisor 50\.0/);
  expect(prose).toContain("the device received 530.00 MiB and sent 7.00 MiB without the harness's SSH");
  expect(prose).toContain('1 finding: app re-pulled 323 MiB in first-boot');
  expect(prose).toMatch(/; while the updater ran: received 200\.00 MiB/);
  expect(bandwidthProse(clean2x)).toContain('no findings');
  expect(bandwidthProse(old)).toBe('while the updater ran: received 17.00 MiB, sent 0.25 MiB');
});
