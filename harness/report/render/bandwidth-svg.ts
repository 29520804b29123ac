// MiB each update path pulled, as horizontal bars: the chart a release manager compares across paths
// and rigs. With the whole update measured (update-bandwidth.ts) a bar is stacked by component
// (hostOS, supervisor, tools/resinhup, app, protocol) with the device's own received bytes as a thin
// bar under it, and each finding is a red tick with its label (`re-pulled 323 MiB`); without it, the
// device's interface while the updater ran, received and sent.
import {
  COMPONENT_COLUMNS,
  type ComponentColumn,
  columnMiB,
  findingLabel,
  type UpdateBandwidth,
} from '../update-bandwidth.ts';
import { escapeHtml, htmlPage, table } from './html.ts';

export interface BandwidthPoint {
  /** `2.0.0+rev2 → 2.12.3+rev1` */
  path: string;
  rig: string;
  receivedMiB: number;
  sentMiB: number;
  status?: string;
  /** The whole update, when the test measured it. */
  whole?: UpdateBandwidth;
}

const colours: Record<ComponentColumn | 'other', string> = {
  hostOS: '#4a90d9',
  supervisor: '#50a860',
  'tools/resinhup': '#9b6cc9',
  app: '#e0a020',
  protocol: '#999999',
  other: '#c8c8c8',
};
const stackOrder = [...COMPONENT_COLUMNS, 'other'] as const;
const miBOf = (w: UpdateBandwidth, c: (typeof stackOrder)[number]) =>
  c === 'other' ? (w.components.other ?? 0) : columnMiB(w, c);

const layout = { labelW: 330, chartW: 420, right: 190, top: 58 };
const rect = (x: number, y: number, w: number, h: number, fill: string, tip: string) =>
  `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${h}" fill="${fill}"><title>${escapeHtml(tip)}</title></rect>`;

/** A path measured over the whole update: its components stacked, the device's bytes, its findings. */
function stackedRow(p: BandwidthPoint, y: number, scale: number): string[] {
  const w = p.whole!;
  const { labelW } = layout;
  const parts: string[] = [];
  let x = labelW;
  for (const c of stackOrder) {
    const v = miBOf(w, c);
    if (v <= 0) continue;
    const width = Math.max(0.5, v * scale);
    parts.push(rect(x, y + 2, width, 12, colours[c], `${c} ${v.toFixed(2)} MiB`));
    x += width;
  }
  if (w.deviceReceivedMiB !== undefined)
    parts.push(
      rect(
        labelW,
        y + 15,
        Math.max(1, w.deviceReceivedMiB * scale),
        4,
        '#333',
        `device received ${w.deviceReceivedMiB.toFixed(2)} MiB (no harness SSH)`,
      ),
    );
  const end = labelW + Math.max(w.registryMiB, w.deviceReceivedMiB ?? 0) * scale;
  const found = w.findings.map((f) => `<tspan fill="#c00000">${escapeHtml(findingLabel(f))}</tspan>`).join(', ');
  parts.push(
    ...w.findings.map(
      (f) =>
        `<line class="finding" x1="${x.toFixed(1)}" y1="${y}" x2="${x.toFixed(1)}" y2="${y + 20}" stroke="#c00000" stroke-width="2"><title>${escapeHtml(`${f.kind}: ${f.component} ${findingLabel(f)} in ${f.phase}: ${f.detail}`)}</title></line>`,
    ),
    `<text x="${(end + 5).toFixed(1)}" y="${y + 14}">${w.wholeMiB.toFixed(1)} MiB${found ? ` ${found}` : ''}</text>`,
  );
  return parts;
}

/** A path measured while the updater ran only: received and sent. */
function updaterRunRow(p: BandwidthPoint, y: number, scale: number, mixed: boolean): string[] {
  const w = Math.max(1, p.receivedMiB * scale);
  const ws = Math.max(p.sentMiB > 0 ? 1 : 0, p.sentMiB * scale);
  return [
    rect(layout.labelW, y + 2, w, 12, '#4a90d9', `received ${p.receivedMiB.toFixed(2)} MiB`),
    rect(layout.labelW, y + 15, ws, 5, '#f0a030', `sent ${p.sentMiB.toFixed(2)} MiB`),
    `<text x="${(layout.labelW + w + 5).toFixed(1)}" y="${y + 14}">${p.receivedMiB.toFixed(1)} MiB${mixed ? ' (while the updater ran; no whole-update record)' : ''}</text>`,
  ];
}

function legend(whole: boolean): string {
  if (!whole)
    return `<text x="8" y="32" fill="#666">blue: MiB received by the device while the updater ran; orange: MiB sent</text>`;
  const keys = stackOrder.map(
    (c, i) =>
      `<rect x="${8 + i * 120}" y="36" width="10" height="10" fill="${colours[c]}"/><text x="${22 + i * 120}" y="45">${escapeHtml(c)}</text>`,
  );
  return [
    `<text x="8" y="30" fill="#666">the registry's MiB by component (stacked); dark line: the device's own MiB received (no harness SSH); red: findings</text>`,
    `<g class="legend">${keys.join('')}</g>`,
  ].join('\n');
}

export function renderBandwidthSvg(points: BandwidthPoint[], title?: string): string {
  const whole = points.some((p) => p.whole);
  const heading = title ?? (whole ? 'MiB per update path, whole update' : 'Bytes pulled per update path');
  const { labelW, chartW, right, top } = layout;
  const rowH = 26;
  const size = (p: BandwidthPoint) =>
    p.whole ? Math.max(p.whole.registryMiB, p.whole.deviceReceivedMiB ?? 0) : p.receivedMiB;
  const scale = chartW / Math.max(1, ...points.map(size));
  const height = top + points.length * rowH + 30;
  const width = labelW + chartW + right;
  const rows = points.map((p, i) => {
    const y = top + i * rowH;
    return [
      `<g class="path" data-path="${escapeHtml(p.path)}" data-rig="${escapeHtml(p.rig)}">`,
      `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end">${escapeHtml(`${p.rig}: ${p.path}`)}</text>`,
      ...(p.whole ? stackedRow(p, y, scale) : updaterRunRow(p, y, scale, whole)),
      `</g>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="hup-bandwidth" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(heading)}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="18" font-weight="bold">${escapeHtml(heading)}</text>`,
    legend(whole),
    ...rows,
    points.length ? '' : `<text x="8" y="${top + 14}" fill="#666">no update path recorded bandwidth in this run</text>`,
    `</svg>`,
  ].join('\n');
}

export function renderBandwidthHtml(points: BandwidthPoint[], title?: string): string {
  const whole = points.some((p) => p.whole);
  const heading = title ?? (whole ? 'MiB per update path, whole update' : 'Bytes pulled per update path');
  const rows = points.map((p) => ({
    cells: [
      p.rig,
      p.path,
      p.receivedMiB.toFixed(2),
      p.sentMiB.toFixed(2),
      p.whole ? p.whole.wholeMiB.toFixed(2) : '',
      p.whole ? p.whole.findings.map(findingLabel).join(', ') : '',
      p.status ?? '',
    ],
    numeric: [false, false, true, true, true, false, false],
  }));
  const head = [
    'rig',
    'path',
    'MiB received (updater run)',
    'MiB sent (updater run)',
    'MiB whole update',
    'findings',
    'result',
  ];
  return htmlPage(heading, `${renderBandwidthSvg(points, heading)}\n${table(head, rows)}`);
}
