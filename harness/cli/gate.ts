// `hupbench gate VERSION`: judges a release, not just its happy paths. For every rig, one Playwright
// run with HUPBENCH_GATE_TARGET=VERSION (the single-subject suites then test the path to VERSION):
// - update paths: every supported source → VERSION through its updater;
// - rollback: the rollback suite with VERSION as the new OS (2.x releases);
// - sanity: the refusals of every updater that can install VERSION;
// - power cuts: the guarantee rows of those updaters (all, or the named sample of --quick).
// The verdict is one Markdown page (stdout, results folder, the report's run summary), a section per
// category with pass/fail/finding counts, findings first, and each path's bandwidth against the
// release's budget (its manifest's `bandwidth.budgetMiB`, or --budget-mib). Exit 0 only when every check ran and
// passed; 1 on any product failure (a product failure that a retry passed is a failure); 3 when the
// only failures were the rig's.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { selectedEngine } from '../../images/lib/engine.ts';
import { compareVersions } from '../../images/lib/releases.ts';
import { buildReport } from '../report/build-report.ts';
import { newResultsFolder } from '../report/results-folder.ts';
import { runExitCode } from '../report/run-exit-code.ts';
import { type GateCategoryName, gateFiles, gateGrep, gateLines, gatePlan } from './gate-plan.ts';
import { gateBudget } from './gate-budget.ts';
import { gateVerdict } from './gate-verdict.ts';
import { rigNames, requireRelease, requireRig, upgradeMatrix } from './known.ts';
import { runPlaywright } from './playwright-run.ts';
import { parseShard } from './run-commands.ts';
import { UsageError } from './usage-error.ts';
import { prepareGivenReleases } from '../release/given-releases.ts';
import { gateReleaseSection } from '../release/gate-release-section.ts';

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
  /** Release folders (release.yaml and its artifacts) to take releases from, the gated one among them. */
  releaseDir?: string[];
  /** The whole update's budget per path, MiB, over the release manifest's `bandwidth.budgetMiB`. */
  budgetMib?: number;
}

export async function gate(version: string, opts: GateOptions): Promise<number> {
  for (const r of opts.rig ?? []) await requireRig(r);
  if (opts.workers === 0) throw new UsageError('--workers 0 runs nothing: give 1 or more (one board per worker).');
  const rigs = opts.rig?.length ? opts.rig : await rigNames();
  // Given releases are checked for every rig's device type before anything starts (exit 2 if refused).
  const deviceTypes = await Promise.all(rigs.map(async (r) => (await requireRig(r)).deviceType));
  const given = await prepareGivenReleases(opts.releaseDir ?? [], deviceTypes);
  const target = await requireRelease(version, 'VERSION');
  const plan = await gatePlan(target, rigs, opts.quick ?? false, opts.only);
  const budget = await gateBudget(target, opts.budgetMib);
  if (!plan.paths.length) {
    const targets = [...new Set((await upgradeMatrix(rigs)).map((e) => e.path.to.version))].sort(compareVersions);
    throw new UsageError(
      `No supported source version updates to ${version} (it is the oldest of its layout, or 1.x sources are not offered to it). Versions that are update targets: ${targets.join(', ')}`,
    );
  }
  // Checked after the arguments, so a mistyped version is named first.
  if (selectedEngine() !== 'moby')
    throw new UsageError(
      `HUPBENCH_ENGINE=${process.env.HUPBENCH_ENGINE} selects the lean shell model of the device's engine: a release verdict needs the real engine. Unset HUPBENCH_ENGINE (moby is the default) to gate ${version}.`,
    );
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
  const verdict = gateVerdict(
    plan,
    gateLines(plan, rigs, run.summary),
    {
      resultsDir,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      playwrightExit: run.exitCode,
    },
    budget,
  );
  const releaseSection = await gateReleaseSection(
    given.filter((g) => g.version === version),
    resultsDir,
    target,
    deviceTypes,
  );
  verdict.markdown += releaseSection;
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
