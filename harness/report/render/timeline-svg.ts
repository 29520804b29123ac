// The phase timeline of one update as a Gantt chart: one row per phase, a bar from where it started
// to where it ended (seconds since the updater started), its duration written beside it.
import { escapeHtml, htmlPage, table } from './html.ts';

export interface TimelineSegment {
  name: string;
  /** ms since the first segment started. */
  startMs: number;
  durationMs: number;
  /** failed segments are drawn red */
  status?: 'passed' | 'failed' | 'broken' | 'skipped' | 'unknown';
}

const colours = { passed: '#4a90d9', failed: '#d9534f', broken: '#e0a030', skipped: '#aaa', unknown: '#aaa' } as const;

const duration = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

function niceStep(totalS: number): number {
  for (const s of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600]) if (totalS / s <= 10) return s;
  return 1200;
}

export function renderTimelineSvg(segments: TimelineSegment[], title = 'Update phases'): string {
  const labelW = 190,
    chartW = 560,
    rowH = 22,
    top = 34,
    right = 90;
  const totalMs = Math.max(1, ...segments.map((s) => s.startMs + s.durationMs));
  const x = (ms: number) => labelW + (ms / totalMs) * chartW;
  const height = top + segments.length * rowH + 26;
  const width = labelW + chartW + right;
  const step = niceStep(totalMs / 1000);
  const ticks: string[] = [];
  for (let s = 0; s * 1000 <= totalMs; s += step) {
    ticks.push(`<line x1="${x(s * 1000)}" y1="${top - 4}" x2="${x(s * 1000)}" y2="${height - 22}" stroke="#e4e4e4"/>`);
    ticks.push(`<text x="${x(s * 1000)}" y="${height - 8}" text-anchor="middle" fill="#666">${s}s</text>`);
  }
  const rows = segments.map((seg, i) => {
    const y = top + i * rowH;
    const w = Math.max(2, x(seg.startMs + seg.durationMs) - x(seg.startMs));
    const colour = colours[seg.status ?? 'passed'];
    return [
      `<g class="phase" data-phase="${escapeHtml(seg.name)}">`,
      `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${escapeHtml(seg.name)}</text>`,
      `<rect x="${x(seg.startMs).toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" rx="2" fill="${colour}"><title>${escapeHtml(seg.name)}: ${duration(seg.durationMs)}</title></rect>`,
      `<text x="${(x(seg.startMs) + w + 5).toFixed(1)}" y="${y + 15}" fill="#333">${duration(seg.durationMs)}</text>`,
      `</g>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="hup-timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="18" font-weight="bold">${escapeHtml(title)} — ${duration(totalMs)} in all</text>`,
    ...ticks,
    ...rows,
    `</svg>`,
  ].join('\n');
}

/** The chart plus the same numbers as a table (for reading exact durations and for screen readers). */
export function renderTimelineHtml(segments: TimelineSegment[], title = 'Update phases'): string {
  const rows = segments.map((s) => ({
    cells: [s.name, (s.startMs / 1000).toFixed(1), (s.durationMs / 1000).toFixed(1), s.status ?? 'passed'],
    numeric: [false, true, true, false],
  }));
  return htmlPage(
    title,
    `${renderTimelineSvg(segments, title)}\n${table(['phase', 'start (s)', 'duration (s)', 'status'], rows)}`,
  );
}

/** phases.json (HupRun.phases) → segments. */
export function segmentsFromPhases(
  phases: Array<{ name: string; startedAtMs: number; durationMs: number }>,
): TimelineSegment[] {
  return phases.map((p) => ({ name: p.name, startMs: p.startedAtMs, durationMs: p.durationMs }));
}
