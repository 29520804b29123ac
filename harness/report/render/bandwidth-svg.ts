// MiB each update path pulled (and sent) over the device's network interface, as horizontal bars:
// the chart a release manager compares across paths and rigs.
import { escapeHtml, htmlPage, table } from './html.ts';

export interface BandwidthPoint {
  /** `2.0.0+rev2 → 2.12.3+rev1` */
  path: string;
  rig: string;
  receivedMiB: number;
  sentMiB: number;
  status?: string;
}

export function renderBandwidthSvg(points: BandwidthPoint[], title = 'Bytes pulled per update path'): string {
  const labelW = 330,
    chartW = 420,
    rowH = 26,
    top = 40,
    right = 110;
  const max = Math.max(1, ...points.map((p) => p.receivedMiB));
  const height = top + points.length * rowH + 30;
  const width = labelW + chartW + right;
  const rows = points.map((p, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, (p.receivedMiB / max) * chartW);
    const ws = Math.max(p.sentMiB > 0 ? 1 : 0, (p.sentMiB / max) * chartW);
    return [
      `<g class="path" data-path="${escapeHtml(p.path)}" data-rig="${escapeHtml(p.rig)}">`,
      `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end">${escapeHtml(`${p.rig}: ${p.path}`)}</text>`,
      `<rect x="${labelW}" y="${y + 2}" width="${w.toFixed(1)}" height="12" fill="#4a90d9"><title>received ${p.receivedMiB.toFixed(2)} MiB</title></rect>`,
      `<rect x="${labelW}" y="${y + 15}" width="${ws.toFixed(1)}" height="5" fill="#f0a030"><title>sent ${p.sentMiB.toFixed(2)} MiB</title></rect>`,
      `<text x="${(labelW + w + 5).toFixed(1)}" y="${y + 14}">${p.receivedMiB.toFixed(1)} MiB</text>`,
      `</g>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="hup-bandwidth" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="18" font-weight="bold">${escapeHtml(title)}</text>`,
    `<text x="8" y="32" fill="#666">blue: MiB received by the device while the updater ran; orange: MiB sent</text>`,
    ...rows,
    points.length ? '' : `<text x="8" y="${top + 14}" fill="#666">no update path recorded bandwidth in this run</text>`,
    `</svg>`,
  ].join('\n');
}

export function renderBandwidthHtml(points: BandwidthPoint[], title = 'Bytes pulled per update path'): string {
  const rows = points.map((p) => ({
    cells: [p.rig, p.path, p.receivedMiB.toFixed(2), p.sentMiB.toFixed(2), p.status ?? ''],
    numeric: [false, false, true, true, false],
  }));
  return htmlPage(
    title,
    `${renderBandwidthSvg(points, title)}\n${table(['rig', 'path', 'MiB received', 'MiB sent', 'result'], rows)}`,
  );
}
