// The gate verdict's bandwidth: per update path, the whole update (the device's received MiB, the
// registry's total and its components) and its findings, judged against the release's budget
// (gate-budget.ts). A path over the budget fails the gate, and so does one that measured nothing
// while a budget is set ("no bandwidth measured"); a check that failed or did not run fails already.
import { markdownTable } from '../report/markdown-table.ts';
import { COMPONENT_COLUMNS, columnMiB, findingSentence } from '../report/update-bandwidth.ts';
import { budgetFor, type GateBudget } from './gate-budget.ts';
import type { GateLine } from './gate-plan.ts';

export interface BandwidthJudgement {
  line: GateLine;
  budgetMiB?: number;
  /** `over`/`unmeasured` fail the gate. */
  outcome: 'within' | 'over' | 'unmeasured' | 'no budget' | 'not judged';
}

const ran = (l: GateLine) => l.status === 'passed' || l.status === 'flaky' || l.status === 'finding';

export function judgeBandwidth(lines: GateLine[], budget?: GateBudget): BandwidthJudgement[] {
  return lines
    .filter((l) => l.category === 'update paths' && l.row)
    .map((line) => {
      const budgetMiB = budget && line.entry ? budgetFor(budget, line.entry.deviceType) : undefined;
      const whole = line.row!.bandwidth;
      if (budgetMiB === undefined) return { line, outcome: 'no budget' };
      if (whole) return { line, budgetMiB, outcome: whole.wholeMiB > budgetMiB ? 'over' : 'within' };
      return { line, budgetMiB, outcome: ran(line) ? 'unmeasured' : 'not judged' };
    });
}

/** The failures the budget adds to the verdict, one line each. */
export function budgetFailures(judged: BandwidthJudgement[], budget?: GateBudget): string[] {
  return judged.flatMap(({ line, budgetMiB, outcome }) => {
    const where = `- **${line.rig}, bandwidth, ${line.check}**`;
    const w = line.row?.bandwidth;
    if (outcome === 'over')
      return [
        `${where}: the whole update moved ${w!.wholeMiB.toFixed(1)} MiB (${w!.wholeBasis}), over the budget of ${budgetMiB} MiB (${budget!.source})`,
      ];
    if (outcome === 'unmeasured')
      return [
        `${where}: no bandwidth measured — the test made no whole-update bandwidth record, and ${budget!.source} sets a budget of ${budgetMiB} MiB`,
      ];
    return [];
  });
}

const n1 = (mib?: number) => (mib === undefined ? '' : mib.toFixed(1));

/** The section: a row per update path with its bandwidth and budget outcome, then its findings. */
export function bandwidthSection(judged: BandwidthJudgement[], budget?: GateBudget): string[] {
  if (!judged.some((j) => j.line.row?.bandwidth) && !budget) return [];
  const failing = judged.filter((j) => j.outcome === 'over' || j.outcome === 'unmeasured').length;
  const head = ['rig', 'path', 'device received MiB', 'total served MiB', ...COMPONENT_COLUMNS, 'findings', 'budget'];
  const rows = judged.map(({ line, budgetMiB, outcome }) => {
    const w = line.row!.bandwidth;
    const verdict = {
      within: `within ${budgetMiB} MiB`,
      over: `**OVER ${budgetMiB} MiB**`,
      unmeasured: '**no bandwidth measured**',
      'no budget': '',
      'not judged': 'not judged (the check failed)',
    }[outcome];
    return [
      line.rig,
      line.check,
      n1(w?.deviceReceivedMiB),
      n1(w?.registryMiB),
      ...COMPONENT_COLUMNS.map((c) => (w ? n1(columnMiB(w, c)) : '')),
      w ? String(w.findings.length) : '',
      verdict,
    ];
  });
  const findings = judged.flatMap(({ line }) =>
    (line.row!.bandwidth?.findings ?? []).map((f) => `- ${line.rig}, ${line.check}: ${f.kind}, ${findingSentence(f)}`),
  );
  return [
    `## bandwidth: the whole update per path${budget ? `, ${failing} over the budget or unmeasured` : ''}`,
    '',
    budget
      ? `Budget (${budget.source}): ${[
          ...(budget.budgetMiB === undefined ? [] : [`${budget.budgetMiB} MiB`]),
          ...Object.entries(budget.byDeviceType).map(([t, m]) => `${m} MiB on ${t}`),
        ].join(', ')} per path, the device's received bytes (the registry's total when the device was not counted).`
      : 'No bandwidth budget for this release (give `bandwidth: { budgetMiB: N }` in its release.yaml, or --budget-mib N).',
    '',
    markdownTable(head, rows),
    '',
    ...(findings.length ? ['Findings (bytes an update did not need to move):', '', ...findings, ''] : []),
  ];
}
