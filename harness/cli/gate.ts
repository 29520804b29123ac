// `hupbench gate VERSION`: judges a release, not just its happy paths. For every rig, one Playwright
// run with HUPBENCH_GATE_TARGET=VERSION (the single-subject suites then test the path to VERSION):
// - update paths: every supported source → VERSION through its updater;
// - rollback: the rollback suite with VERSION as the new OS (2.x releases);
// - sanity: the refusals of every updater that can install VERSION;
// - power cuts: the guarantee rows of those updaters (all, or the named sample of --quick).
// The verdict is one Markdown page (stdout, results folder, the report's run summary), a section per
// category with pass/fail/finding counts, findings first. Exit 0 only when every check ran and
// passed; 1 on any product failure (a product failure that a retry passed is a failure); 3 when the
// only failures were the rig's.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareVersions, loadReleases, type Release } from '../../images/lib/releases.ts';
import { faults, powerCutGuarantees, type GuaranteeRow } from '../faults/index.ts';
import { buildReport } from '../report/build-report.ts';
import { newResultsFolder } from '../report/results-folder.ts';
import { exitCodes, runExitCode } from '../report/run-exit-code.ts';
import { verdictText, type RunSummary, type SummaryRow } from '../report/run-summary.ts';
import { pathsFor2x, subjectPath } from '../updater/paths.ts';
import { rigNames, requireRelease, requireRig, upgradeMatrix, type MatrixEntry } from './known.ts';
import { escapeRegex, runPlaywright } from './playwright-run.ts';
import { parseShard } from './run-commands.ts';
import { UsageError } from './usage-error.ts';

export interface GateOptions {
  rig?: string[];
  retries?: number;
  workers?: number;
  quick?: boolean;
  /** Only these categories (an engineer re-judging one part); the verdict says the gate was partial. */
  only?: GateCategoryName[];
  /** `i/n`: this host's share of the checks; the verdict comes from `hupbench merge --gate`. */
  shard?: string;
  report?: boolean;
}

export const gateCategories = ['update paths', 'rollback', 'sanity', 'power cuts'] as const;
export type GateCategoryName = (typeof gateCategories)[number];

export type GateStatus = 'passed' | 'flaky' | 'failed' | 'finding' | 'not run' | 'not covered';

export interface GateLine {
  category: GateCategoryName;
  rig: string;
  /** What was checked, as the verdict names it. */
  check: string;
  row?: SummaryRow;
  status: GateStatus;
  /** Path lines: the matrix entry. */
  entry?: MatrixEntry;
}

/**
 * --quick: the power-cut rows a quick gate runs, per updater — the phases where an update is
 * committed or most data is written (the verdict names them).
 */
export const quickPowerCuts: Record<string, string[]> = {
  'upgrade-2.x.sh': ['pull', 'export', 'switch-boot', 'reboot'],
  'upgrade-1.x-to-2.x.sh': ['backup', 'layout', 'switch-boot'],
  'upgrade-1.x.sh': ['export', 'switch-boot', 'finish'],
};

/** The test title faults.spec.ts gives a power-cut row. */
export const powerCutTitle = (r: GuaranteeRow) =>
  `power cut: ${r.updater} in ${r.phase}${r.afterMs ? ` +${r.afterMs}ms` : ''} → ${r.guarantee}`;

/** What the gate of `target` checks on `rigs`, before anything runs. */
export interface GatePlan {
  target: Release;
  paths: MatrixEntry[];
  /** Updaters that install the target (their refusals and power-cut rows are checked). */
  updaters: string[];
  rollbackTitles: string[];
  powerCuts: GuaranteeRow[];
  quick: boolean;
  /** The categories judged: all four, unless --only named some. */
  categories: GateCategoryName[];
}

export async function gatePlan(
  target: Release,
  rigs: string[],
  quick: boolean,
  only?: GateCategoryName[],
): Promise<GatePlan> {
  const categories = only?.length ? gateCategories.filter((c) => only.includes(c)) : [...gateCategories];
  const releases = await loadReleases();
  const paths = (await upgradeMatrix(rigs)).filter((e) => e.path.to.version === target.version);
  const updaters = [...new Set(paths.map((e) => e.path.updater))];
  const rollbackPath = target.layout === '2.x' ? subjectPath(pathsFor2x(releases), target.version) : undefined;
  const rollbackTitles =
    rollbackPath && categories.includes('rollback')
      ? Object.values(faults).map((f) => `rollback: ${f.name} (${rollbackPath.name})`)
      : [];
  const powerCuts = powerCutGuarantees.filter(
    (r) =>
      categories.includes('power cuts') &&
      updaters.includes(r.updater) &&
      (!quick || quickPowerCuts[r.updater]?.includes(r.phase)),
  );
  return { target, paths, updaters, rollbackTitles, powerCuts, quick, categories };
}

/** Playwright's --grep for the plan: every check's title, and nothing else in the files it names. */
export function gateGrep(plan: GatePlan): string {
  const v = escapeRegex(plan.target.version);
  return [
    ...(plan.categories.includes('update paths') ? [`→ ${v}(\\s|$)`] : []),
    ...plan.rollbackTitles.map((t) => `${escapeRegex(t)}(\\s|$)`),
    ...(plan.categories.includes('sanity') ? plan.updaters.map((u) => `${escapeRegex(u)} refuses: `) : []),
    ...plan.powerCuts.map((r) => `${escapeRegex(powerCutTitle(r))}(\\s|$)`),
  ].join('|');
}

export function gateFiles(plan: GatePlan): string[] {
  return [
    ...(plan.categories.includes('update paths')
      ? new Set(plan.paths.filter((e) => e.covered).map((e) => e.suite))
      : []),
    ...(plan.rollbackTitles.length ? ['suites/rollback.spec.ts'] : []),
    ...(plan.categories.includes('sanity') ? ['suites/sanity'] : []),
    ...(plan.powerCuts.length ? ['suites/faults.spec.ts'] : []),
  ];
}

const statusOf = (row: SummaryRow | undefined): GateStatus => {
  if (!row || row.verdict.result === 'skipped') return 'not run';
  if (row.verdict.result === 'failed') return 'failed';
  if (row.findings?.length) return 'finding';
  return row.verdict.result === 'flaky' ? 'flaky' : 'passed';
};

export function gateLines(plan: GatePlan, rigs: string[], summary: RunSummary | undefined): GateLine[] {
  const rows = summary?.rows ?? [];
  const find = (rig: string, title: string) => rows.find((r) => r.project === rig && r.title === title);
  const lines: GateLine[] = plan.paths
    .filter(() => plan.categories.includes('update paths'))
    .map((entry) => {
      const check = `${entry.path.from.version} → ${entry.path.to.version} (${entry.path.pathClass}, ${entry.path.updater})`;
      if (!entry.covered) return { category: 'update paths', rig: entry.rig, check, entry, status: 'not covered' };
      const row = rows.find(
        (r) =>
          r.project === entry.rig &&
          r.from === entry.path.from.version &&
          r.to === entry.path.to.version &&
          !r.fault &&
          r.file.endsWith(entry.suite),
      );
      return { category: 'update paths', rig: entry.rig, check, entry, row, status: statusOf(row) };
    });
  for (const rig of rigs) {
    for (const title of plan.rollbackTitles) {
      const row = find(rig, title);
      lines.push({ category: 'rollback', rig, check: title.replace(/^rollback: /, ''), row, status: statusOf(row) });
    }
    for (const updater of plan.categories.includes('sanity') ? plan.updaters : []) {
      const refusals = rows.filter((r) => r.project === rig && r.title.startsWith(`${updater} refuses: `));
      if (!refusals.length)
        lines.push({ category: 'sanity', rig, check: `${updater}: its refusals`, status: 'not run' });
      for (const row of refusals) lines.push({ category: 'sanity', rig, check: row.title, row, status: statusOf(row) });
    }
    for (const cut of plan.powerCuts) {
      const title = powerCutTitle(cut);
      const row = find(rig, title);
      lines.push({ category: 'power cuts', rig, check: title.replace(/^power cut: /, ''), row, status: statusOf(row) });
    }
  }
  return lines;
}

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
): GateVerdict {
  const ran = lines.filter((l) => l.row).map((l) => l.row!);
  const exit = runExitCode(ran, meta.playwrightExit);
  const missing = lines.filter((l) => l.status === 'not run' || l.status === 'not covered');
  // Note: a check that did not run leaves the release unjudged: never a pass; the rig's fault only
  // when the rig's failures are all there is.
  const exitCode = exit.code === exitCodes.passed && missing.length ? exitCodes.product : exit.code;
  const pass = exitCode === exitCodes.passed;
  const version = plan.target.version;
  const findings = lines
    .filter((l) => l.row?.findings?.length)
    .flatMap((l) => l.row!.findings!.map((f) => `- **${l.rig}, ${l.category}, ${l.check}**: ${f}`));
  const failures = lines
    .filter((l) => l.status === 'failed')
    .map((l) => `- **${l.rig}, ${l.category}, ${l.check}**: ${l.row?.error ?? verdictText(l.row!.verdict)}`);
  const partial =
    plan.categories.length < gateCategories.length ? ` (partial: only ${plan.categories.join(', ')})` : '';
  const headline = `${pass ? 'PASS' : exitCode === exitCodes.rig ? 'NO VERDICT (the rig failed)' : 'FAIL'}${partial}`;
  const sections = categoryOrder.map((name) => {
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
  });
  const markdown = [
    `# Release gate: ${version} — ${headline}`,
    '',
    `${lines.filter((l) => l.status === 'passed' || l.status === 'flaky' || l.status === 'finding').length} of ${lines.length} checks passed; ${exit.why}${missing.length ? `; ${missing.length} did not run` : ''}.`,
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

export async function gate(version: string, opts: GateOptions): Promise<number> {
  const target = await requireRelease(version, 'VERSION');
  for (const r of opts.rig ?? []) await requireRig(r);
  if (opts.workers === 0) throw new UsageError('--workers 0 runs nothing: give 1 or more (one board per worker).');
  const rigs = opts.rig?.length ? opts.rig : await rigNames();
  const plan = await gatePlan(target, rigs, opts.quick ?? false, opts.only);
  if (!plan.paths.length) {
    const targets = [...new Set((await upgradeMatrix(rigs)).map((e) => e.path.to.version))].sort(compareVersions);
    throw new UsageError(
      `No supported source version updates to ${version} (it is the oldest of its layout, or 1.x sources are not offered to it). Versions that are update targets: ${targets.join(', ')}`,
    );
  }
  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard);
  const resultsDir = newResultsFolder(
    shard ? `gate-${version}-shard-${shard.index}-of-${shard.total}` : `gate-${version}`,
  );
  const startedAt = new Date();
  console.log(
    `Gating ${version} on ${rigs.join(', ')}: ${plan.paths.length} update paths, ${plan.rollbackTitles.length} rollback faults, the refusals of ${plan.updaters.join(', ')}, ${plan.powerCuts.length} power-cut rows${plan.quick ? ' (--quick sample)' : ''}; results in ${resultsDir}`,
  );
  const run = await runPlaywright({
    resultsDir,
    projects: rigs,
    files: gateFiles(plan),
    grep: gateGrep(plan),
    retries: opts.retries,
    progress: true,
    shard: shard && `${shard.index}/${shard.total}`,
    // Note: a gate runs the full tier on every rig; its grep selects the checks.
    extraEnv: {
      HUPBENCH_GATE_TARGET: version,
      HUPBENCH_TIER: 'full',
      ...(opts.workers ? { HUPBENCH_WORKERS: String(opts.workers) } : {}),
    },
  });
  if (shard) {
    // One shard judges part of the release: its own failures fail it, the verdict waits for the merge.
    const exit = run.emptyShard
      ? { code: 0, why: 'this shard was left without checks' }
      : runExitCode(run.summary?.rows, run.exitCode);
    console.log(
      `Gate shard ${shard.index} of ${shard.total}: exit ${exit.code} (${exit.why}). The verdict: hupbench merge --gate ${version}${plan.quick ? ' --quick' : ''} <the ${shard.total} shards' results folders>`,
    );
    return exit.code;
  }
  const verdict = gateVerdict(plan, gateLines(plan, rigs, run.summary), {
    resultsDir,
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
    playwrightExit: run.exitCode,
  });
  await writeFile(path.join(resultsDir, 'verdict.md'), verdict.markdown);
  if (opts.report !== false) {
    const built = await buildReport(resultsDir, {
      verdictMarkdown: verdict.markdown,
      environment: { gate: version, rigs: rigs.join(', ') },
    }).catch((e: Error) => {
      console.error(`report not built: ${e.message}`);
      return undefined;
    });
    if (built) console.log(`Report: ${built.reportDir} (hupbench report ${resultsDir})`);
  }
  console.log(`\n${verdict.markdown}`);
  return verdict.exitCode;
}
