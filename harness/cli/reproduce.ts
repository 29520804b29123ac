// `hupbench run`: one update path of any class on one rig, in this process, for reproducing a field
// failure: flash the source release, boot it ready for the update (bootSource), run the path's
// updater with live phases and bytes (runUpdate), optionally with a fault from the catalogue, follow
// the device to where it settles, judge it as the suites would, and keep every byte of evidence in a
// results folder. With --keep the board stays up afterwards, its console in this terminal and SSH
// reachable from another.
//
// Note: this runs the scenarios directly rather than through Playwright because Playwright's worker
// fixtures dispose the rig when the run ends (so no --keep), and because a person reproducing a
// failure wants the phases and bytes as they happen. Gating and nightly runs go through Playwright.
import path from 'node:path';
import { deviceKeyPath } from '../../images/lib/keys.ts';
import { InfraError } from '../errors.ts';
import { meetsGuarantee } from '../faults/guarantees.ts';
import { newResultsFolder } from '../report/results-folder.ts';
import type { Rig } from '../rig/rig.ts';
import type { ScenarioContext } from '../scenarios/context.ts';
import {
  judgeRollback,
  judgeUpdated,
  judgeUpdatedOrRefused,
  type Judgement,
  settledDevice,
} from '../scenarios/judgements.ts';
import { updateThroughOutage, updateThroughThrottle } from '../scenarios/link-faults.ts';
import { updateThroughLinkDrop } from '../scenarios/link-drop.ts';
import { judgePowerCut } from '../scenarios/power-cut.ts';
import { breakNewOsAndFollowRollback } from '../scenarios/rollback.ts';
import { type BootedSource, bootSource } from '../scenarios/source.ts';
import { runUpdate } from '../scenarios/update.ts';
import type { HupRun } from '../updater/runner.ts';
import { measureUpdate } from '../bandwidth/measure-update.ts';
import type { UpdateTraffic } from '../bandwidth/update-traffic-schema.ts';
import { expectSupervisorAndAppRunning } from '../device/services.ts';
import { consoleSession } from './console-session.ts';
import { Progress } from './progress.ts';
import { writeRunEvidence } from './run-evidence.ts';
import { type PlannedFault, planRun, type RunOptions, type RunPlan } from './run-plan.ts';
import { RunSession } from './run-session.ts';
import type { FieldCheck } from '../profile/compare-profiles.ts';
import { bootProfileSource, ProfileMismatchError, type ProfiledSource } from '../profile/profile-source.ts';
import { updateProfiled } from '../profile/profile-update.ts';
import { forgetKeptBoard, rememberKeptBoard } from './kept-board.ts';

export type ReproduceOptions = RunOptions;

interface Played {
  run?: HupRun;
  judgement: Judgement;
  /** --profile: the device against its profile after the update. */
  after?: FieldCheck[];
  /** The whole update's bandwidth (harness/bandwidth/), when the updater ran without a fault. */
  traffic?: UpdateTraffic;
}

export async function reproduce(opts: ReproduceOptions): Promise<number> {
  const plan = await planRun(opts);
  const p = new Progress();
  const resultsDir = newResultsFolder(plan.slug);
  p.log(`${plan.rig.name}: ${plan.label}; evidence in ${resultsDir}`);
  const session = new RunSession(plan.rig, p);
  let source: BootedSource | undefined;
  let profiled: ProfiledSource | undefined;
  let profileChecks: FieldCheck[] | undefined;
  let history: ProfiledSource['history'];
  let played: Played = { judgement: { ok: false, line: 'did not get to the update' } };
  let infra = false;
  try {
    const ctx = await session.open(`hupbench run ${plan.label}`);
    watchProgress(session, p);
    if (plan.profile) {
      profiled = await bootProfileSource(ctx, plan.path, plan.profile.profile, plan.profile.file);
      profileChecks = profiled.checks;
      history = profiled.history;
      p.log(`the device matches profile ${plan.profile.profile.name} (${profiled.checks.length} fields checked)`);
      if (history) p.log(`history replayed: ${history.timeline.history}`);
    }
    source = profiled?.source ?? (await bootSource(ctx, plan.path));
    await session.markRegistry();
    const booted = source;
    const playFault = () => play(ctx, plan.fault, booted, p);
    played =
      plan.profile && profiled
        ? await updateProfiled(
            ctx,
            plan.profile.profile,
            profiled,
            (l) => p.log(l),
            plan.fault.kind === 'none' ? undefined : playFault,
          )
        : await playFault();
  } catch (error) {
    if (error instanceof ProfileMismatchError)
      profileChecks = (error as ProfileMismatchError & { checks?: FieldCheck[] }).checks;
    history ??= (error as { history?: ProfiledSource['history'] }).history;
    infra = error instanceof InfraError;
    const kind = infra ? 'INFRASTRUCTURE FAULT (the rig, not the product)' : 'ERROR';
    played.judgement = { ok: false, line: `${kind}: ${(error as Error).message}` };
    p.log(played.judgement.line);
    if (session.rig) p.log(`last console lines:\n${session.rig.console.tail(15)}`);
  } finally {
    p.stop();
  }
  const { ok, line } = played.judgement;
  const profileFiles = plan.profile && {
    ...profileEvidence(plan.profile, profiled, profileChecks, played.after),
    ...(history && {
      'history-timeline.md': history.markdown,
      'history-timeline.json': JSON.stringify(history.timeline, null, 2),
    }),
  };
  const evidence = () => saveEvidence(session, plan, resultsDir, source, played, profileFiles);
  await evidence().then((files) => files && p.log(`evidence: ${resultsDir}/ (${files.join(', ')})`));
  console.log(`\n${ok ? 'OK' : 'FAILED'}: ${line}`);
  if (opts.keep && session.rig) await keepUp(session, session.rig, resultsDir, evidence);
  await session.close();
  return ok ? 0 : infra ? 3 : 1;
}

/** The fault (or none) played out on the booted source, and the device judged where it settled. */
async function play(ctx: ScenarioContext, fault: PlannedFault, source: BootedSource, p: Progress): Promise<Played> {
  const { path: upgrade } = source;
  switch (fault.kind) {
    case 'none': {
      const meter = await measureUpdate(ctx, upgrade);
      const run = await runUpdate(ctx, upgrade, { onOutput: errorLines(p) });
      const judgement = judgeUpdated(source, run, await settledDevice(ctx, source));
      // The whole update ends when the supervisor and the app run on the new OS (an updated device only).
      const settled =
        judgement.ok &&
        (await expectSupervisorAndAppRunning(ctx.board.device, upgrade.to.supervisor).then(
          () => true,
          (e: Error) => {
            p.log(`bandwidth: read before the services ran: ${e.message.split('\n')[0]}`);
            return false;
          },
        ));
      return { run, judgement, traffic: await meter.read(run, settled) };
    }
    case 'phase-cut': {
      const { row } = fault;
      p.log(
        `fault armed: the power goes ${row.afterMs ? `${row.afterMs} ms into` : 'as the updater enters'} ${row.phase}`,
      );
      const cut = await judgePowerCut(ctx, source, row);
      if (!cut.run.injected)
        return { run: cut.run, judgement: { ok: false, line: `the updater never entered ${row.phase}: no cut` } };
      // An unsafe window may leave either OS, but never a device that does not boot or cannot update again.
      const ok =
        cut.row.outcome !== 'no-boot' && cut.row.rerunOk !== false && meetsGuarantee(row.guarantee, cut.row.outcome);
      const rerun = cut.rerun ? `; rerun exit ${cut.rerun.exitCode}` : '';
      const line = `power cut in ${row.phase} ${(cut.run.injected.atMs / 1000).toFixed(1)}s into the run: came back as ${cut.row.outcome} (${cut.row.detail}); guarantee ${row.guarantee}: ${row.why}${rerun}`;
      return { run: cut.rerun ?? cut.run, judgement: { ok, line } };
    }
    case 'outage': {
      p.log(`fault armed: ${fault.fault.name} from ${fault.at.afterMs} ms into ${fault.at.phase}`);
      const run = await updateThroughOutage(ctx, upgrade, fault.fault, { at: fault.at, outageMs: fault.outageMs });
      await ctx.board.toSsh();
      const what = `${fault.fault.name} in ${fault.at.phase}`;
      return { run, judgement: judgeUpdatedOrRefused(source, run, await settledDevice(ctx, source), what) };
    }
    case 'throttle': {
      p.log(`fault: ${fault.fault.name}, ${fault.fault.kbitPerSecond} kbit/s for the whole run`);
      const t = await updateThroughThrottle(ctx, upgrade, fault.fault);
      const judged = judgeUpdated(source, t.run, await settledDevice(ctx, source));
      const within = t.served.blobs <= t.budget;
      const bytes = `registry served ${t.served.blobs} blob bytes for a budget of ${t.budget}`;
      return { run: t.run, judgement: { ok: judged.ok && within, line: `${judged.line}; ${bytes}` } };
    }
    case 'drop': {
      p.log(`fault: ${fault.fault.name}: ${fault.fault.description}`);
      const d = await updateThroughLinkDrop(ctx, upgrade, fault.fault);
      const judged = judgeUpdated(source, d.run, await settledDevice(ctx, source));
      const retried = d.retries.length > 0;
      const extra = d.served.blobs - d.budget;
      const line = `${judged.line}; link dropped at ${d.drop?.layerBytesAtDrop ?? '?'} bytes of the layer for ${(fault.fault.outageMs / 1000).toFixed(0)} s; pull tries retried: ${d.retries.length}; registry served ${d.served.blobs} blob bytes for ${d.budget} (${extra} extra)`;
      return { run: d.run, judgement: { ok: judged.ok && retried, line } };
    }
    case 'new-os': {
      const run = await runUpdate(ctx, upgrade, { extraArgs: ['--no-reboot'] });
      if (run.exitCode !== 0)
        return {
          run,
          judgement: {
            ok: false,
            line: `the updater failed before the fault: exit ${run.exitCode} ${run.error ?? ''}`,
          },
        };
      p.log(`fault: ${fault.fault.name} on the new OS; the rollback must come from ${fault.fault.caughtBy}`);
      const result = await breakNewOsAndFollowRollback(ctx, fault.fault, source.before);
      return { run, judgement: judgeRollback(fault.fault, source, result, await settledDevice(ctx, source)) };
    }
  }
}

/** The updater's error lines as they stream (the whole output goes to the evidence). */
function errorLines(p: Progress): (chunk: string) => void {
  return (chunk) => {
    for (const l of chunk.split('\n')) if (/error/i.test(l)) p.log(`  ${l}`);
  };
}

/** Every 15 s: the step the board is in and for how long; the MiB the registry served, every 2 s. */
function watchProgress(session: RunSession, p: Progress): void {
  const poll = setInterval(() => {
    session.registryBytes().then(
      (b) => (p.mib = b / 2 ** 20),
      () => undefined,
    );
  }, 2000);
  session.defer(async () => clearInterval(poll));
  p.keepSaying(() => `  … ${session.current.name} for ${Math.round((Date.now() - session.current.since) / 1000)}s`);
}

async function saveEvidence(
  session: RunSession,
  plan: RunPlan,
  dir: string,
  source: BootedSource | undefined,
  played: Played,
  extra?: Record<string, string>,
): Promise<string[] | undefined> {
  const rig = session.rig;
  if (!rig) return undefined;
  const after = await session.scenario?.board.device.snapshot().catch(() => undefined);
  const title = `${plan.rig.name}: ${plan.label}`;
  const { ok, line } = played.judgement;
  const registryBytes = await session.registryBytes().catch(() => 0);
  const verdict = `# hupbench run: ${title}\n\n**${ok ? 'as expected' : 'NOT as expected'}**: ${line}\n\nRegistry served ${(registryBytes / 2 ** 20).toFixed(1)} MiB after the source was ready.\n`;
  return writeRunEvidence(dir, {
    rig,
    run: played.run,
    before: source?.before,
    after,
    registryBytes,
    traffic: played.traffic,
    title,
    verdict,
    steps: session.scenario?.board.steps,
    extra,
  });
}

/** --profile: profile.yaml as given, and profile-check.json (before the update, and after it). */
function profileEvidence(
  run: NonNullable<RunPlan['profile']>,
  profiled: ProfiledSource | undefined,
  before: FieldCheck[] | undefined,
  after: FieldCheck[] | undefined,
): Record<string, string> {
  const check = {
    profile: run.file,
    before: before ?? null,
    captured: profiled?.captured ?? null,
    after: after ?? null,
  };
  return { 'profile.yaml': run.text, 'profile-check.json': JSON.stringify(check, null, 2) };
}

/** --keep: the device stays up, its console in this terminal, until Ctrl-]. */
async function keepUp(session: RunSession, rig: Rig, dir: string, evidence: () => Promise<unknown>): Promise<void> {
  const ssh = (() => {
    try {
      const e = rig.sshEndpoint();
      return `ssh -i ${path.relative(process.cwd(), deviceKeyPath) || deviceKeyPath} -p ${e.port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@${e.host}`;
    } catch {
      return '(no SSH endpoint: the board is off)';
    }
  })();
  console.log(
    `\nThe device stays up (--keep).\n  SSH, from another terminal:  ${ssh}\n  Console: this terminal, from now on (Ctrl-] leaves, powers the board off and cleans up).\n  Evidence so far: ${dir}/serial-console.log (rewritten when you leave)\n`,
  );
  session.releaseSignals();
  await rememberKeptBoard(rig).catch(() => undefined);
  await consoleSession(rig, { fromLine: Math.max(0, rig.console.lines.length - 5) });
  await forgetKeptBoard(rig.config.name);
  await evidence().catch(() => undefined);
}
