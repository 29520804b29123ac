// The small HTML kit the rendered attachments share: escaping and one stylesheet, so every
// attachment reads the same in Allure's iframe and in a browser.
export function escapeHtml(text: unknown): string {
  return String(text ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const style = `
body { font: 13px/1.4 system-ui, sans-serif; margin: 12px; color: #222; }
h2 { font-size: 15px; margin: 16px 0 6px; }
table { border-collapse: collapse; margin: 4px 0 12px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.changed td { background: #fff4d6; }
.muted { color: #777; }
svg text { font: 12px system-ui, sans-serif; }
`;

/** A complete page: Allure shows text/html attachments in an iframe. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${style}</style></head><body>${body}</body></html>\n`;
}

export function table(
  headers: string[],
  rows: Array<{ cells: string[]; className?: string; numeric?: boolean[] }>,
): string {
  const head = `<tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      (r) =>
        `<tr${r.className ? ` class="${r.className}"` : ''}>${r.cells.map((c, i) => `<td${r.numeric?.[i] ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table>${head}${body}</table>`;
}
