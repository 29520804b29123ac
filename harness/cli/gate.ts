// `hupbench gate VERSION`: every supported source version on every rig updated to VERSION, one
// Playwright run; the verdict is one Markdown page (stdout, results folder, and the report's run
// summary). Passes only when every path in the matrix to VERSION ran and passed.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildReport } from '../report/build-report.ts';
import { newResultsFolder } from '../report/results-folder.ts';
import { verdictText, type RunSummary, type SummaryRow } from '../report/run-summary.ts';
import { rigNames, requireRelease, requireRig, upgradeMatrix, type MatrixEntry } from './known.ts';
import { escapeRegex, runPlaywright } from './playwright-run.ts';
import { UsageError } from './usage-error.ts';

export interface GateOptions {
  rig?: string[];
  retries?: number;
  report?: boolean;
}

export interface GateLine {
  entry: MatrixEntry;
  row?: SummaryRow;
  status: 'passed' | 'flaky' | 'failed' | 'not run' | 'not covered';
}

export function gateLines(expected: MatrixEntry[], summary: RunSummary | undefined): GateLine[] {
  return expected.map((entry) => {
    if (!entry.covered) return { entry, status: 'not covered' };
    const row = summary?.rows.find((r) => r.project === entry.rig && r.from === entry.path.from.version && r.to === entry.path.to.version && !r.fault);
    if (!row || row.verdict.result === 'skipped') return { entry, row, status: 'not run' };
    return { entry, row, status: row.verdict.result === 'passed' ? 'passed' : row.verdict.result === 'flaky' ? 'flaky' : 'failed' };
  });
}

export function gateVerdict(version: string, lines: GateLine[], meta: { resultsDir: string; startedAt: Date; durationMs: number }): { pass: boolean; markdown: string } {
  const pass = lines.length > 0 && lines.every((l) => l.status === 'passed' || l.status === 'flaky');
  const count = (s: GateLine['status']) => lines.filter((l) => l.status === s).length;
  const rows = lines.map((l) => {
    const r = l.row;
    const result = r ? verdictText(r.verdict) : l.status === 'not covered' ? `NOT COVERED (${l.entry.suite} does not exist yet)` : 'NOT RUN';
    const mib = r?.receivedMiB === undefined ? '' : r.receivedMiB.toFixed(1);
    return `| ${l.entry.rig} | ${l.entry.deviceType} | ${l.entry.path.from.version} | ${l.entry.path.pathClass} | ${result} | ${r ? `${(r.durationMs / 1000).toFixed(0)} s` : ''} | ${mib} |`;
  });
  const failures = lines.filter((l) => l.row?.error && l.status === 'failed').map((l) => `- **${l.entry.rig}, from ${l.entry.path.from.version}**: ${l.row!.error}`);
  const markdown = [
    `# Release gate: ${version} — ${pass ? 'PASS' : 'FAIL'}`,
    '',
    `${count('passed') + count('flaky')} of ${lines.length} update paths to ${version} passed` +
      (count('flaky') ? ` (${count('flaky')} after retrying an infrastructure fault)` : '') +
      (count('failed') ? `; ${count('failed')} failed` : '') +
      (count('not run') ? `; ${count('not run')} did not run` : '') +
      (count('not covered') ? `; ${count('not covered')} have no suite yet` : '') +
      '.',
    '',
    `Run ${meta.startedAt.toISOString()}, ${(meta.durationMs / 60000).toFixed(1)} min. Results: \`${meta.resultsDir}\` (JUnit \`junit.xml\`, Allure \`allure-report/\`).`,
    '',
    '| rig | device type | from | class | result | duration | MiB pulled |',
    '|---|---|---|---|---|---:|---:|',
    ...rows,
    ...(failures.length ? ['', '## Failures', '', ...failures] : []),
    '',
    'A path passes when the device booted the new OS from the other root with its data, app and boot settings as the suite asserts. Product failures are never retried; infrastructure faults (the rig, not the OS) are retried once and shown as flaky.',
    '',
  ].join('\n');
  return { pass, markdown };
}

export async function gate(version: string, opts: GateOptions): Promise<number> {
  const target = await requireRelease(version, 'VERSION');
  for (const r of opts.rig ?? []) await requireRig(r);
  const rigs = opts.rig?.length ? opts.rig : await rigNames();
  const matrix = await upgradeMatrix(rigs);
  const expected = matrix.filter((e) => e.path.to.version === target.version);
  if (!expected.length) {
    const targets = [...new Set(matrix.map((e) => e.path.to.version))];
    throw new UsageError(`No supported source version updates to ${version} (it is the oldest of its layout, or 1.x sources are not offered to it). Versions that are update targets: ${targets.join(', ')}`);
  }
  const covered = expected.filter((e) => e.covered);
  const resultsDir = newResultsFolder(`gate-${version}`);
  const startedAt = new Date();
  console.log(`Gating ${version}: ${expected.length} paths on ${rigs.join(', ')}; results in ${resultsDir}`);
  for (const e of expected.filter((x) => !x.covered)) console.log(`  not covered: ${e.rig} ${e.path.name} (${e.suite} does not exist yet)`);
  const run = covered.length
    ? await runPlaywright({
        resultsDir,
        projects: [...new Set(covered.map((e) => e.rig))],
        files: [...new Set(covered.map((e) => e.suite))],
        // Note: titles hold `<from> → <to>`; tags follow the title in what --grep matches.
        grep: `→ ${escapeRegex(version)}(\\s|$)`,
        retries: opts.retries,
        progress: true,
      })
    : undefined;
  const verdict = gateVerdict(version, gateLines(expected, run?.summary), { resultsDir, startedAt, durationMs: Date.now() - startedAt.getTime() });
  await writeFile(path.join(resultsDir, 'verdict.md'), verdict.markdown);
  if (opts.report !== false && run) {
    const built = await buildReport(resultsDir, { verdictMarkdown: verdict.markdown, environment: { gate: version, rigs: rigs.join(', ') } }).catch((e: Error) => (console.error(`report not built: ${e.message}`), undefined));
    if (built) console.log(`Report: ${built.reportDir} (hupbench report ${resultsDir})`);
  }
  console.log(`\n${verdict.markdown}`);
  return verdict.pass ? 0 : 1;
}
