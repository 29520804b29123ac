// A results folder as a run of the update suites leaves it (summary.json, its rows made by the
// summary reporter's own summaryRow from the tests' records), for the `hupbench bandwidth` and gate
// tests: on the BeagleBone a clean 2.x → 2.x path, a 1.x → 2.x migration that pulled its app again
// (323 MiB), a path measured the old way only and a link-drop fault's test; on the Raspberry Pi a
// path the registry alone measured.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestCase } from '@playwright/test/reporter';
import { type RunSummary, type SummaryRow, summaryRow } from '../../harness/report/run-summary.ts';
import { type TestData, testDataContentType } from '../../harness/report/test-data.ts';
import { clean2x, migration, registryOnly } from '../report/fixture/update-traffic.ts';

export const bbb = 'qemu-beaglebone-black';
export const rpi = 'qemu-raspberrypi3';

const updaters = { '2x': 'upgrade-2.x.sh', '1x-2x': 'upgrade-1.x-to-2.x.sh', '1x': 'upgrade-1.x.sh' } as const;

/** A summary row of an update path's test, as the summary reporter makes it from its records. */
export function pathRow(
  rig: string,
  from: string,
  to: string,
  bandwidth: TestData<'bandwidth'> | undefined,
  extra: { fault?: string; suite?: string } = {},
): SummaryRow {
  const pathClass = from.startsWith('1.') ? (to.startsWith('1.') ? '1x' : '1x-2x') : '2x';
  const name = `${from} → ${to}`;
  const record = (kind: string, body: unknown) => ({
    name: `${kind}.json`,
    contentType: testDataContentType(kind as 'path'),
    body: Buffer.from(JSON.stringify(body)),
  });
  const attachments = [
    record('path', { name, pathClass, from, to, updater: updaters[pathClass] }),
    ...(bandwidth ? [record('bandwidth', bandwidth)] : []),
  ];
  const annotations = extra.fault ? [{ type: 'fault', description: `${extra.fault}: the link goes down` }] : [];
  const suite = extra.suite ?? { '2x': 'hup-2x', '1x-2x': 'hup-1x-to-2x', '1x': 'hup-1x' }[pathClass];
  const test = {
    id: `${rig} ${name} ${extra.fault ?? ''}`,
    title: `${extra.fault ? `${extra.fault}: ` : ''}${name}`,
    annotations,
    location: { file: `/x/suites/${suite}.spec.ts`, line: 1, column: 1 },
    parent: { project: () => ({ name: rig }) },
    results: [{ attachments, annotations: [], status: 'passed', errors: [], duration: 100_000 }],
  } as unknown as TestCase;
  return summaryRow(test);
}

export const MiB = 2 ** 20;

export function fixtureRows(): SummaryRow[] {
  return [
    pathRow(bbb, '2.9.7+rev1', '2.12.3+rev1', clean2x),
    pathRow(bbb, '1.30.1', '2.12.3+rev1', migration),
    pathRow(bbb, '2.0.0+rev2', '2.12.3+rev1', { bytesReceived: 17 * MiB, bytesSent: MiB / 4 }),
    pathRow(bbb, '2.9.7+rev1', '2.12.3+rev1', migration, { fault: 'link-drop' }),
    pathRow(rpi, '2.9.7+rev1', '2.12.3+rev1', registryOnly),
  ];
}

/** Writes the fixture run's results folder into `dir` and returns it. */
export function writeResultsFixture(dir: string, rows = fixtureRows()): string {
  mkdirSync(dir, { recursive: true });
  const summary: RunSummary = {
    startedAt: '2026-11-30T08:00:00.000Z',
    durationMs: 1,
    rows,
    passed: rows.length,
    failed: 0,
    skipped: 0,
    flaky: 0,
  };
  writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
  return dir;
}
