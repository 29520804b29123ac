// The gate's verdict: one Markdown page, a section per category with pass/fail/finding counts,
// findings and failures first, the update paths' bandwidth judged against the release's budget
// (gate-bandwidth.ts), and the exit code (harness/report/run-exit-code.ts).
import { exitCodes, runExitCode } from '../report/run-exit-code.ts';
import { verdictText } from '../report/run-summary.ts';
import { bandwidthSection, budgetFailures, judgeBandwidth } from './gate-bandwidth.ts';
import type { GateBudget } from './gate-budget.ts';
import {
  type GateCategoryName,
  type GateLine,
  type GatePlan,
  type GateStatus,
  gateCategories,
  quickPowerCuts,
} from './gate-plan.ts';

const categoryOrder: GateCategoryName[] = ['update paths', 'rollback', 'sanity', 'power cuts'];

export interface GateVerdict {
  /** 0 pass, 1 product failure or a check that did not run, 3 only rig failures. */
  exitCode: number;
  markdown: string;
}

export function gateVerdict(
  plan: GatePlan,
  lines: GateLine[],
  meta: { resultsDir: string; startedAt: Date; durationMs: number; playwrightExit: number },
  budget?: GateBudget,
): GateVerdict {
  const ran = lines.filter((l) => l.row).map((l) => l.row!);
  const exit = runExitCode(ran, meta.playwrightExit);
  const missing = lines.filter((l) => l.status === 'not run' || l.status === 'not covered');
  // Note: a check that did not run leaves the release unjudged: never a pass; the rig's fault only
  // when the rig's failures are all there is.
  const judged = judgeBandwidth(lines, budget);
  const overBudget = budgetFailures(judged, budget);
  // Note: a path over its budget is the product's failure, whatever else the rig did.
  const exitCode =
    (exit.code === exitCodes.passed && missing.length) || overBudget.length ? exitCodes.product : exit.code;
  const pass = exitCode === exitCodes.passed;
  const version = plan.target.version;
  const findings = lines
    .filter((l) => l.row?.findings?.length)
    .flatMap((l) => l.row!.findings!.map((f) => `- **${l.rig}, ${l.category}, ${l.check}**: ${f}`));
  const failures = lines
    .filter((l) => l.status === 'failed')
    .map((l) => `- **${l.rig}, ${l.category}, ${l.check}**: ${l.row?.error ?? verdictText(l.row!.verdict)}`)
    .concat(overBudget);
  const partial =
    plan.categories.length < gateCategories.length ? ` (partial: only ${plan.categories.join(', ')})` : '';
  const headline = `${pass ? 'PASS' : exitCode === exitCodes.rig ? 'NO VERDICT (the rig failed)' : 'FAIL'}${partial}`;
  const sections = categoryOrder.map((name) => [
    ...categorySection(plan, lines, name),
    ...(name === 'update paths' ? bandwidthSection(judged, budget) : []),
  ]);
  const markdown = [
    `# Release gate: ${version} — ${headline}`,
    '',
    `${lines.filter((l) => l.status === 'passed' || l.status === 'flaky' || l.status === 'finding').length} of ${lines.length} checks passed; ${exit.why}${missing.length ? `; ${missing.length} did not run` : ''}${overBudget.length ? `; ${overBudget.length} update path${overBudget.length === 1 ? '' : 's'} over the bandwidth budget or unmeasured` : ''}.`,
    '',
    `Run ${meta.startedAt.toISOString()}, ${(meta.durationMs / 60000).toFixed(1)} min. Results: \`${meta.resultsDir}\` (JUnit \`junit.xml\`, Allure \`allure-report/\`).`,
    '',
    ...(findings.length
      ? [
          '## Findings',
          '',
          'Known unsafe windows: what the device did, and whether the promised recovery brought it back.',
          '',
          ...findings,
          '',
        ]
      : []),
    ...(failures.length ? ['## Failures', '', ...failures, ''] : []),
    ...sections.flat(),
    'A product failure anywhere fails the gate, whether or not a retry passed; only rig faults (the board, not the OS) are retried, and a pass after one counts. A check that did not run leaves the release unjudged and fails the gate.',
    '',
  ].join('\n');
  return { exitCode, markdown };
}

/** A category's section of the verdict: its counts, then a table row per check. */
function categorySection(plan: GatePlan, lines: GateLine[], name: GateCategoryName): string[] {
  const version = plan.target.version;
  const of = lines.filter((l) => l.category === name);
  if (!plan.categories.includes(name))
    return [`## ${name}`, '', `Not judged in this run (--only ${plan.categories.join(',')}).`, ''];
  if (!of.length)
    return [
      `## ${name}`,
      '',
      name === 'rollback'
        ? `Not applicable: ${version} is a ${plan.target.layout} release (1.x has no rollback).`
        : 'Nothing to check.',
      '',
    ];
  const n = (s: GateStatus) => of.filter((l) => l.status === s).length;
  const counts = `${n('passed') + n('flaky')} passed${n('flaky') ? ` (${n('flaky')} after retrying a rig fault)` : ''}, ${n('failed')} failed, ${n('finding')} finding${n('finding') === 1 ? '' : 's'}${n('not run') ? `, ${n('not run')} did not run` : ''}${n('not covered') ? `, ${n('not covered')} have no suite` : ''}`;
  return [
    `## ${name}: ${counts}`,
    ...(name === 'power cuts' && plan.quick
      ? [
          '',
          `--quick: the sample ${Object.entries(quickPowerCuts)
            .filter(([u]) => plan.updaters.includes(u))
            .map(([u, p]) => `${u} in ${p.join(', ')}`)
            .join('; ')} (\`hupbench gate ${version}\` runs every row).`,
        ]
      : []),
    '',
    '| rig | check | result | duration | MiB pulled |',
    '|---|---|---|---:|---:|',
    ...of.map((l) => {
      const r = l.row;
      const result = r
        ? `${verdictText(r.verdict)}${l.status === 'finding' ? ' — finding' : ''}`
        : l.status === 'not covered'
          ? `NOT COVERED (${l.entry?.suite} does not exist yet)`
          : 'NOT RUN';
      return `| ${l.rig} | ${l.check.replace(/\|/g, '\\|')} | ${result} | ${r ? `${(r.durationMs / 1000).toFixed(0)} s` : ''} | ${r?.receivedMiB === undefined ? '' : r.receivedMiB.toFixed(1)} |`;
    }),
    '',
  ];
}
