// DeviceState (device-state.json: one snapshot, or `{ before, after }`) as tables a release engineer
// reads: partitions, active root, boot environment, os-release, /mnt/state, filesystems. With two
// snapshots, every row that differs is highlighted.
import type { DeviceState } from '../../device/device-state.ts';
import { escapeHtml, htmlPage, table } from './html.ts';

type Snapshots = { before?: DeviceState; after?: DeviceState } | DeviceState;

function isState(value: unknown): value is DeviceState {
  return typeof value === 'object' && value !== null && 'partitions' in value && 'activeRoot' in value;
}

/** Normalises the shapes suites attach into named columns. */
export function snapshotColumns(json: Snapshots): Array<[string, DeviceState]> {
  if (isState(json)) return [['snapshot', json]];
  return (['before', 'after'] as const).filter((k) => isState(json[k])).map((k) => [k, json[k]!]);
}

const mib = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);

function keyValueRows(
  columns: Array<[string, DeviceState]>,
  pick: (s: DeviceState) => Record<string, string | undefined>,
) {
  const keys = [...new Set(columns.flatMap(([, s]) => Object.keys(pick(s))))].sort();
  return keys.map((key) => {
    const values = columns.map(([, s]) => pick(s)[key] ?? '—');
    return { cells: [key, ...values], className: new Set(values).size > 1 ? 'changed' : undefined };
  });
}

export function renderDeviceStateHtml(json: Snapshots, title = 'Device state'): string {
  const columns = snapshotColumns(json);
  if (!columns.length) return htmlPage(title, `<p>device-state.json holds no snapshot.</p>`);
  const names = columns.map(([n]) => n);
  const sections: string[] = [`<h1 style="font-size:16px">${escapeHtml(title)}</h1>`];

  sections.push('<h2>Active root</h2>');
  sections.push(
    table(
      ['', ...names],
      [
        ...keyValueRows(columns, (s) => ({
          device: s.activeRoot.device,
          partition: String(s.activeRoot.partition),
          label: s.activeRoot.label,
        })),
      ],
    ),
  );

  sections.push('<h2>Partitions</h2>');
  const partNumbers = [...new Set(columns.flatMap(([, s]) => s.partitions.map((p) => p.number)))].sort((a, b) => a - b);
  const partRows = partNumbers.map((n) => {
    const cells = columns.map(([, s]) => {
      const p = s.partitions.find((q) => q.number === n);
      // Note: no mountpoint: the snapshot reports whichever mount it saw last (a container's bind
      // mount, while the app runs), which would mark every data partition as changed.
      return p ? `${p.label ?? '(no label)'} · ${p.fs ?? '?'} · ${mib(p.sizeBytes)} MiB @${p.startSector}` : '—';
    });
    const device = columns.map(([, s]) => s.partitions.find((q) => q.number === n)?.device).find(Boolean) ?? '';
    return { cells: [`${n} (${device})`, ...cells], className: new Set(cells).size > 1 ? 'changed' : undefined };
  });
  sections.push(table(['#', ...names.map((n) => `${n}: label · fs · size @start`)], partRows));

  sections.push('<h2>Boot environment (resinOS_uEnv.txt)</h2>');
  sections.push(
    table(
      ['key', ...names],
      keyValueRows(columns, (s) => s.bootEnv),
    ),
  );

  sections.push('<h2>os-release</h2>');
  sections.push(
    table(
      ['key', ...names],
      keyValueRows(columns, (s) => s.osRelease),
    ),
  );

  sections.push('<h2>/mnt/state</h2>');
  const files = [...new Set(columns.flatMap(([, s]) => s.stateFiles))].sort();
  sections.push(
    files.length
      ? table(
          ['file', ...names],
          files.map((f) => {
            const cells = columns.map(([, s]) => (s.stateFiles.includes(f) ? 'present' : '—'));
            return { cells: [f, ...cells], className: new Set(cells).size > 1 ? 'changed' : undefined };
          }),
        )
      : '<p class="muted">empty</p>',
  );

  sections.push('<h2>Filesystems (df, KiB)</h2>');
  const mounts = [...new Set(columns.flatMap(([, s]) => s.filesystems.map((f) => f.mountpoint)))];
  sections.push(
    table(
      ['mountpoint', ...names.map((n) => `${n}: used / size`)],
      mounts.map((m) => ({
        cells: [
          m,
          ...columns.map(([, s]) => {
            const f = s.filesystems.find((q) => q.mountpoint === m);
            return f ? `${f.usedKiB} / ${f.sizeKiB}` : '—';
          }),
        ],
      })),
    ),
  );
  sections.push('<p class="muted">Highlighted rows differ between the snapshots.</p>');
  return htmlPage(title, sections.join('\n'));
}
