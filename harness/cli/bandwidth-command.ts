// `hupbench bandwidth`: what each update path of a run cost in bytes — the whole update by component
// (hostOS, supervisor, tools/resinhup, app, protocol), the registry's total, what the device itself
// received and sent (the harness's SSH taken out) — with its findings and the seed's ranges beside
// them; `--app-mb N` re-prices the paths that pulled their app again as if the app were N MB;
// `--budget-mib N` exits 1 naming the paths over N MiB.
import path from 'node:path';
import { resultsRoot } from '../report/results-folder.ts';
import {
  COMPONENT_COLUMNS,
  columnMiB,
  findingSentence,
  MiB,
  type UpdateBandwidth,
} from '../report/update-bandwidth.ts';
import { seedRanges } from './bandwidth-ranges.ts';
import { matchingPaths, type MeasuredPath, readMeasuredPaths } from './bandwidth-results.ts';
import { textTable } from './text-table.ts';
import { UsageError } from './usage-error.ts';

export interface BandwidthOptions {
  rig?: string;
  from?: string;
  to?: string;
  appMb?: number;
  results?: string;
  json?: boolean;
  budgetMib?: number;
}

/**
 * The whole update's MiB had the app weighed `appMb` MB (10⁶ bytes), for a path that pulled the app
 * it held again (a held-pulled-again finding on the app); other paths are unchanged.
 */
export function withAppOf(whole: UpdateBandwidth, appMb: number): number {
  const repulled = whole.findings.some((f) => f.kind === 'held-pulled-again' && f.component === 'app');
  return repulled ? whole.wholeMiB - columnMiB(whole, 'app') + (appMb * 1e6) / MiB : whole.wholeMiB;
}

const label = (p: MeasuredPath, all: MeasuredPath[]) => {
  const twin = all.filter((q) => q.rig === p.rig && q.path === p.path && q.fault === p.fault).length > 1;
  return `${p.path}${p.fault ? ` (fault ${p.fault})` : ''}${twin ? ` [${p.test}]` : ''}`;
};
const n1 = (mib?: number) => (mib === undefined ? '' : mib.toFixed(1));

function wholeTable(measured: MeasuredPath[], all: MeasuredPath[], appMb?: number): string {
  const head = [
    'rig',
    'path',
    ...COMPONENT_COLUMNS,
    'total served',
    'device received',
    'device sent',
    'findings',
    ...(appMb === undefined ? [] : [`with a ${appMb} MB app`]),
  ];
  const rows = measured.map((p) => {
    const w = p.whole!;
    return [
      p.rig,
      `${label(p, all)}${w.settled ? '' : ' (not settled)'}`,
      ...COMPONENT_COLUMNS.map((c) => n1(columnMiB(w, c))),
      n1(w.registryMiB),
      n1(w.deviceReceivedMiB),
      n1(w.deviceSentMiB),
      String(w.findings.length),
      ...(appMb === undefined ? [] : [n1(withAppOf(w, appMb))]),
    ];
  });
  const ranges = ['', "seed's range", ...COMPONENT_COLUMNS.map((c) => seedRanges[c]?.split(',')[0] ?? '')];
  return textTable(head, [...rows, ranges]);
}

function textReport(
  matching: MeasuredPath[],
  opts: BandwidthOptions,
  resultsDir: string,
  over: MeasuredPath[],
): string {
  const measured = matching.filter((p) => p.whole);
  const runOnly = matching.filter((p) => !p.whole);
  const out = [`Bandwidth per update path, MiB — ${resultsDir}`, ''];
  if (measured.length) {
    out.push(
      wholeTable(measured, matching, opts.appMb),
      '',
      "The whole update: from the updater's start until the device settled on the new OS. Components: what the registry served for each; device: the interface's counters less the harness's SSH.",
      `Seed's ranges: ${Object.entries(seedRanges)
        .map(([c, r]) => `${c} ${r}`)
        .join('; ')}.`,
    );
    if (opts.appMb !== undefined)
      out.push(
        `With a ${opts.appMb} MB app: the device's total with the app's bytes replaced by ${opts.appMb} MB on the paths that pulled the app they held again (a held-pulled-again finding); other paths unchanged.`,
      );
    out.push(
      '',
      'By phase (MiB the registry served in each):',
      ...measured.map(
        (p) =>
          `  ${p.rig} ${label(p, matching)}: ${(p.whole!.phases ?? []).map((ph) => `${ph.name} ${ph.mib.toFixed(ph.mib < 0.1 ? 3 : 1)}`).join(', ') || 'not recorded (a summary written before phases were)'}`,
      ),
    );
    const findings = measured.flatMap((p) =>
      p.whole!.findings.map((f) => `  ${p.rig} ${label(p, matching)}: ${f.kind}, ${findingSentence(f)}`),
    );
    out.push(
      '',
      findings.length
        ? `Findings:\n${findings.join('\n')}`
        : 'Findings: none (nothing served twice, no held image pulled again, no retried download).',
    );
  }
  if (runOnly.length)
    out.push(
      '',
      'Measured while the updater ran only (no whole-update record; the device interface):',
      textTable(
        ['rig', 'path', 'received', 'sent', 'result'],
        runOnly.map((p) => [p.rig, label(p, matching), n1(p.updaterRunReceivedMiB), n1(p.updaterRunSentMiB), p.result]),
      ),
    );
  if (opts.budgetMib !== undefined) out.push('', budgetText(opts.budgetMib, measured, over));
  return out.join('\n');
}

function budgetText(budget: number, measured: MeasuredPath[], over: MeasuredPath[]): string {
  if (!over.length)
    return `Budget ${budget} MiB: every path within it (${measured.filter((p) => !p.fault).length} judged).`;
  return [
    `Budget ${budget} MiB: ${over.length} path${over.length === 1 ? '' : 's'} over it:`,
    ...over.map((p) => `  ${p.rig} ${p.path}: ${p.whole!.wholeMiB.toFixed(1)} MiB (${p.whole!.wholeBasis})`),
  ].join('\n');
}

export async function bandwidth(opts: BandwidthOptions): Promise<number> {
  const resultsDir = path.resolve(opts.results ?? path.join(resultsRoot, 'latest'));
  const filter = { rig: opts.rig, from: opts.from, to: opts.to };
  const matching = matchingPaths(readMeasuredPaths(resultsDir), filter, resultsDir);
  // Note: a fault's test (a cut link, a slow registry) is not what the path costs; the budget judges the paths.
  const judged = matching.filter((p) => p.whole && !p.fault);
  if (opts.budgetMib !== undefined && !judged.length)
    throw new UsageError(
      `--budget-mib ${opts.budgetMib}: no path in ${resultsDir} has a whole-update record to judge (only the updater's run was measured). Rerun the update suites (npm run hil).`,
    );
  const over = opts.budgetMib === undefined ? [] : judged.filter((p) => p.whole!.wholeMiB > opts.budgetMib!);
  if (opts.json) {
    const paths = matching.map((p) => ({
      ...p,
      ...(p.whole && opts.appMb !== undefined ? { withAppMiB: withAppOf(p.whole, opts.appMb) } : {}),
      ...(opts.budgetMib !== undefined && p.whole && !p.fault ? { overBudget: over.includes(p) } : {}),
    }));
    const budget =
      opts.budgetMib === undefined
        ? undefined
        : { budgetMiB: opts.budgetMib, over: over.map((p) => `${p.rig} ${p.path}`) };
    console.log(JSON.stringify({ resultsDir, filter, seedRanges, paths, budget }, null, 2));
  } else console.log(textReport(matching, opts, resultsDir, over));
  return over.length ? 1 : 0;
}
