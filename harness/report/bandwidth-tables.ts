// The bandwidth tables of a rig's run (run-tables.ts): per path, the whole update by component
// (hostOS, supervisor, tools/resinhup, app, protocol, the registry's total), what the device itself
// received and sent (the harness's SSH taken out) and its findings; then each finding on a row of
// its own. A record made before the whole update was measured (no `update`) keeps the old columns:
// the device's interface while the updater ran and the registry's bytes.
import { markdownTable } from './markdown-table.ts';
import type { TestData } from './test-data.ts';
import { COMPONENT_COLUMNS, columnMiB, MiB, updateBandwidth } from './update-bandwidth.ts';

export interface PathBandwidthRow {
  /** Path class (`2x`), or empty. */
  pathClass: string;
  /** `2.9.7+rev1 → 2.12.3+rev1`, or the test's title. */
  path: string;
  record: TestData<'bandwidth'>;
}

const f2 = (mib: number) => mib.toFixed(2);
const opt = (mib?: number) => (mib === undefined ? '' : f2(mib));

/** The old table: the device's interface while the updater ran, and what the registry served. */
function updaterRunTable(rows: PathBandwidthRow[]): string | undefined {
  if (!rows.length) return undefined;
  const head = ['class', 'path', 'MiB received', 'MiB sent', 'MiB served by the registry'];
  return markdownTable(
    head,
    rows.map(({ pathClass, path, record: b }) => [
      pathClass,
      path,
      f2(b.bytesReceived / MiB),
      f2(b.bytesSent / MiB),
      `${b.registryBytes === undefined ? '' : f2(b.registryBytes / MiB)}${b.registryScope ? ` (${b.registryScope})` : ''}`,
    ]),
  );
}

/** The whole update per path: MiB by component, the registry's total, the device's own bytes, findings. */
function wholeUpdateTable(rows: PathBandwidthRow[]): string | undefined {
  const measured = rows.flatMap((r) => {
    const b = updateBandwidth(r.record);
    return b ? [{ ...r, b }] : [];
  });
  if (!measured.length) return undefined;
  const head = [
    'class',
    'path',
    ...COMPONENT_COLUMNS.map((c) => `${c} MiB`),
    'total served MiB',
    'device received MiB',
    'device sent MiB',
    'findings',
  ];
  return markdownTable(
    head,
    measured.map(({ pathClass, path, b }) => [
      pathClass,
      `${path}${b.settled ? '' : ' (not settled)'}`,
      ...COMPONENT_COLUMNS.map((c) => f2(columnMiB(b, c))),
      f2(b.registryMiB),
      opt(b.deviceReceivedMiB),
      opt(b.deviceSentMiB),
      String(b.findings.length),
    ]),
  );
}

/**
 * The bandwidth table of a rig: the whole update for records that measured it, the old columns for
 * those that did not (each its own table, one after the other).
 */
export function bandwidthTable(rows: PathBandwidthRow[]): string | undefined {
  const whole = wholeUpdateTable(rows);
  const old = updaterRunTable(rows.filter((r) => !r.record.update));
  if (whole && old)
    return `${whole}\n\nPaths without a whole-update record (the device's interface while the updater ran):\n\n${old}`;
  return whole ?? old;
}

/** Each finding of the rig's paths on a row: path, kind, component, MiB, phase, detail. */
export function findingsTable(rows: PathBandwidthRow[]): string | undefined {
  const found = rows.flatMap(({ path, record }) => (updateBandwidth(record)?.findings ?? []).map((f) => ({ path, f })));
  if (!found.length) return undefined;
  return markdownTable(
    ['path', 'kind', 'component', 'MiB', 'phase', 'detail'],
    found.map(({ path, f }) => [path, f.kind, f.component, f2(f.mib), f.phase, f.detail]),
  );
}
