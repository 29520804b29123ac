// What `hupbench gate VERSION` checks (its plan: the paths, rollback faults, refusals and power-cut
// rows of the updaters that install VERSION) and how each check fared in a run's summary (its lines).
import { loadReleases, type Release } from '../../images/lib/releases.ts';
import { newOsFaults, powerCutGuarantees, powerCutTitle, type GuaranteeRow } from '../faults/index.ts';
import type { RunSummary, SummaryRow } from '../report/run-summary.ts';
import { pathsFor2x, subjectPath } from '../updater/paths.ts';
import { upgradeMatrix, type MatrixEntry } from './known.ts';
import { escapeRegex } from './playwright-run.ts';

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
  'resinhup-style/resinhup-2.x.sh': ['pull', 'export', 'switch-boot', 'reboot'],
  'upgrade-1.x-to-2.x.sh': ['backup', 'layout', 'switch-boot'],
  'upgrade-1.x.sh': ['export', 'switch-boot', 'finish'],
};

/** The test title faults.spec.ts gives a power-cut row (the fault catalogue's). */
export { powerCutTitle };

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
      ? Object.values(newOsFaults).map((f) => `rollback: ${f.name} (${rollbackPath.name})`)
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
