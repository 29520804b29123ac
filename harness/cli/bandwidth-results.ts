// The bandwidth of each update path a run measured, read from its results folder's summary.json
// (the rows the summary reporter writes, one per test, whichever worker or shard ran it; the same
// file `hupbench merge` and the gate read): the whole update by component when the test measured
// it, else the device's interface while the updater ran.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type RunSummary, verdictText } from '../report/run-summary.ts';
import type { UpdateBandwidth } from '../report/update-bandwidth.ts';
import { UsageError } from './usage-error.ts';

export interface MeasuredPath {
  rig: string;
  /** `2.9.7+rev1 → 2.12.3+rev1` */
  path: string;
  from: string;
  to: string;
  pathClass?: string;
  /** The test's title (a path may have several tests: variants, faults). */
  test: string;
  fault?: string;
  result: string;
  /** The device's interface while the updater ran, MiB. */
  updaterRunReceivedMiB?: number;
  updaterRunSentMiB?: number;
  /** The whole update, when the test measured it. */
  whole?: UpdateBandwidth;
}

export interface PathFilter {
  rig?: string;
  from?: string;
  to?: string;
}

const produce =
  "Bandwidth records come from the update suites: run them with `npm run hil` (or `hupbench nightly --rig R --grep '→ VERSION'`, `hupbench gate VERSION`); a `hupbench run` folder has no summary.json.";

/** The measured paths of a results folder (refused, exit 2, when it is not one). */
export function readMeasuredPaths(resultsDir: string): MeasuredPath[] {
  if (!existsSync(resultsDir))
    throw new UsageError(`No results folder ${resultsDir}. Name one under results/ with --results DIR. ${produce}`);
  const file = path.join(resultsDir, 'summary.json');
  if (!existsSync(file))
    throw new UsageError(
      `${resultsDir} has no summary.json (a run that did not finish, or not a suite run). ${produce}`,
    );
  const summary = JSON.parse(readFileSync(file, 'utf8')) as RunSummary;
  return summary.rows.flatMap((r) =>
    r.path && r.from && r.to && (r.bandwidth || r.receivedMiB !== undefined)
      ? [
          {
            rig: r.project,
            path: r.path,
            from: r.from,
            to: r.to,
            pathClass: r.pathClass,
            test: r.title,
            fault: r.fault,
            result: verdictText(r.verdict),
            updaterRunReceivedMiB: r.receivedMiB,
            updaterRunSentMiB: r.sentMiB,
            whole: r.bandwidth,
          },
        ]
      : [],
  );
}

/** The paths the filter names; when none, a refusal (exit 2) naming the folder, the filter and what it has. */
export function matchingPaths(all: MeasuredPath[], filter: PathFilter, resultsDir: string): MeasuredPath[] {
  const matching = all.filter(
    (p) =>
      (!filter.rig || p.rig === filter.rig) &&
      (!filter.from || p.from === filter.from) &&
      (!filter.to || p.to === filter.to),
  );
  if (matching.length) return matching;
  const named = Object.entries(filter)
    .filter(([, v]) => v)
    .map(([k, v]) => `--${k} ${v}`);
  if (!all.length)
    throw new UsageError(
      `No bandwidth record in ${resultsDir}${named.length ? ` for ${named.join(' ')}` : ''}: no update path of that run recorded one. ${produce}`,
    );
  const has = [...new Set(all.map((p) => `${p.rig} ${p.path}`))].join('; ');
  throw new UsageError(`No bandwidth record in ${resultsDir} matches ${named.join(' ')}. It has: ${has}. ${produce}`);
}
