// The per-run tables, one per rig, built from the records every test made (test-data.ts), whichever
// worker or shard ran it: bandwidth per path (and its findings, bandwidth-tables.ts), timings, the 1.x → 2.x data limits and the power-cut
// guarantee table. The summary reporter prints them and writes each into the results folder.
import type { TestCase } from '@playwright/test/reporter';
import { guaranteeTable, POWER_CUT_ROW_ANNOTATION, type MeasuredRow } from '../faults/guarantees.ts';
import { timelineMarkdown } from '../scenarios/history-timeline.ts';
import { bandwidthTable, findingsTable, type PathBandwidthRow } from './bandwidth-tables.ts';
import { markdownTable } from './markdown-table.ts';
import { MalformedTestData, parseTestData, readAllTestData, type TestRecords } from './test-data.ts';

export interface RunTable {
  /** File name in the results folder, e.g. `bandwidth-qemu-beaglebone-black.md`. */
  file: string;
  title: string;
  markdown: string;
}

interface Tested {
  rig: string;
  title: string;
  records: TestRecords;
}

const s = (ms: number) => (ms / 1000).toFixed(0);
const markdown = markdownTable;

const pathOf = ({ records: { path }, title }: Tested) =>
  path ? `${path.name}${path.variant ? ` (${path.variant})` : ''}` : title;
const classOf = ({ records: { path } }: Tested) => path?.pathClass ?? '';

/**
 * A power-cut row: the record, or the annotation suites/faults.spec.ts still pushes (schema-checked
 * the same way; a malformed one throws MalformedTestData).
 */
function powerCutRow(test: TestCase, records: TestRecords): MeasuredRow | undefined {
  if (records['power-cut-row']) return records['power-cut-row'];
  const note = (test.results.at(-1)?.annotations ?? test.annotations).find((a) => a.type === POWER_CUT_ROW_ANNOTATION);
  return note?.description ? parseTestData('power-cut-row', note.description, `"${test.title}"`) : undefined;
}

/** The bandwidth rows of a rig's tests (bandwidth-tables.ts). */
const bandwidthRows = (tests: Tested[]): PathBandwidthRow[] =>
  tests.flatMap((t) =>
    t.records.bandwidth ? [{ pathClass: classOf(t), path: pathOf(t), record: t.records.bandwidth }] : [],
  );

const longest = (phases: Array<{ name: string; durationMs: number }>) => {
  const p = phases.reduce<(typeof phases)[number] | undefined>(
    (a, b) => (a && a.durationMs >= b.durationMs ? a : b),
    undefined,
  );
  return p ? `${p.name} ${s(p.durationMs)} s` : '';
};

function timingTable(tests: Tested[]): string | undefined {
  const rows = tests.flatMap((test) => {
    const t = test.records.timing;
    if (!t) return [];
    return [
      [
        classOf(test),
        pathOf(test),
        s(t.wallMs),
        `${s(t.startMs)}${t.resumed ? ' (resumed)' : ''}`,
        s(t.updaterMs),
        s(t.rebootMs),
        t.sshBackMs === undefined ? '' : s(t.sshBackMs),
        s(t.verdictMs),
        s(t.deviceMs),
        t.deviceMs ? (t.wallMs / t.deviceMs).toFixed(2) : '',
        longest(t.phases),
      ],
    ];
  });
  const head = ['class', 'path', 'wall s', 'start s', 'updater s', 'reboot s', 'SSH back s', 'verdict s'];
  return rows.length ? markdown([...head, 'device s', 'wall ÷ device', 'longest phase'], rows) : undefined;
}

function dataLimitTable(tests: Tested[]): string | undefined {
  const rows = tests.flatMap((t) => {
    const d = t.records['data-limit'];
    if (!d) return [];
    const mb = (v?: number) => (v === undefined ? '-' : v.toFixed(1));
    return [
      [
        pathOf(t),
        `${d.dataMB} MB ${d.seedKind}`,
        d.fits ? 'fits' : 'over',
        mb(d.capMB),
        mb(d.backupMB),
        String(d.exitCode),
        s(d.updaterMs),
      ],
    ];
  });
  const head = ['path', 'data', 'expected', 'cap MB', 'backup MB', 'exit', 'updater s'];
  return rows.length ? markdown(head, rows) : undefined;
}

/** Each history's timeline (suites/history.spec.ts), in test order. */
function historyTables(tests: Tested[]): string | undefined {
  const parts = tests.flatMap((t) => (t.records.history ? [timelineMarkdown(t.records.history)] : []));
  return parts.length ? parts.join('\n') : undefined;
}

/** Every table of the run, per rig, in test order; and the records that did not read. */
export function runTables(tests: TestCase[]): { tables: RunTable[]; problems: string[] } {
  const problems: string[] = [];
  const byRig = new Map<string, Tested[]>();
  const cuts = new Map<string, MeasuredRow[]>();
  for (const test of tests) {
    const read = readAllTestData(test);
    problems.push(...read.problems);
    const rig = test.parent.project()?.name ?? '';
    byRig.set(rig, [...(byRig.get(rig) ?? []), { rig, title: test.title, records: read.records }]);
    try {
      const row = powerCutRow(test, read.records);
      if (row) cuts.set(row.rig, [...(cuts.get(row.rig) ?? []), row]);
    } catch (error) {
      if (!(error instanceof MalformedTestData)) throw error;
      problems.push(error.message);
    }
  }
  const tables: RunTable[] = [];
  for (const [rig, tested] of byRig) {
    const add = (name: string, title: string, table?: string) =>
      table && tables.push({ file: `${name}-${rig}.md`, title: `${title} (${rig})`, markdown: table });
    const bandwidth = bandwidthRows(tested);
    const whole = bandwidth.some((r) => r.record.update);
    add(
      'bandwidth',
      whole
        ? 'Bandwidth per update path, the whole update: MiB by component, the device without the harness SSH'
        : 'Bandwidth per update path, device eth0 while the updater ran',
      bandwidthTable(bandwidth),
    );
    add('bandwidth-findings', 'Bandwidth findings: bytes an update did not need to move', findingsTable(bandwidth));
    add('timings', 'Where the time went, per update path', timingTable(tested));
    add('data-limits', 'Backup cap of the 1.x → 2.x migration', dataLimitTable(tested));
    add('histories', 'Fleet histories: one row per step, with its boot events', historyTables(tested));
  }
  for (const [rig, rows] of cuts)
    tables.push({
      file: `guarantee-table-${rig}.md`,
      title: `Power-cut guarantees (${rig})`,
      markdown: guaranteeTable(rows),
    });
  return { tables, problems };
}
