// A Markdown table from a head and rows of cells (pipes in a cell escaped).
const cell = (text: string) => text.replace(/\|/g, '\\|');

export function markdownTable(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}
