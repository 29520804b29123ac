// "Judge a power-cut row from its phase snapshot": instead of booting the source and running the
// updater up to the row's phase, resume the board saved as that phase started (the updater running
// on it), follow the updater on, cut `afterMs` after the resume, and judge the row as judgePowerCut
// does. The snapshots of a subject (one path's updater, every phase that has rows) come from one
// recording run, made by the first row that needs them (one worker at a time) and kept in .cache/
// while their key matches. Rigs without phase snapshots (the Raspberry Pi: usb-net does not migrate)
// are told to run the row as before, with the reason.
// Note: the device clock is not set after the resume (as a login-snapshot resume does): the cut comes
// at most 2 s later, nothing the updater does before it reads the clock for a decision, and setting
// it would take an SSH round trip that moved the cut. After the cut the board cold-boots, as an
// unforked row's board does (whose clock also came from a snapshot's RTC).
import nodePath from 'node:path';
import { InfraError } from '../errors.ts';
import type { GuaranteeRow } from '../faults/guarantees.ts';
import type { PhaseSnapshotKey, PhaseSnapshots } from '../rig/rig.ts';
import type { UpgradePath } from '../updater/paths.ts';
import { followUpdater, type PhaseCapture, runUpdater } from '../updater/runner.ts';
import { updaterScript } from '../updater/script.ts';
import type { ScenarioContext } from './context.ts';
import { sourceIdentity } from './source-identity.ts';
import { cutAt, judgeCutRun, type PowerCutHooks, type PowerCutJudgement } from './power-cut.ts';
import { type BootedSource, bootSource } from './source.ts';
import { updateTimeoutMs, updaterArgs, updaterOptions } from './update.ts';

export interface ForkSubject {
  path: UpgradePath;
  seedMB?: number;
  /** The phases that have rows: each gets a snapshot in the recording. */
  phases: string[];
}

export interface ForkedCut {
  source: BootedSource;
  judged: PowerCutJudgement;
  /** Where the row started: the snapshot, and whether this row recorded the subject first. */
  from: { snapshot: string; recorded: boolean; resumeMs: number };
}

/** What a recording keeps beside each phase snapshot. */
interface Recorded {
  source: Omit<BootedSource, 'path'>;
  capture: PhaseCapture;
}

/**
 * Why rows on this rig do not fork (undefined: they do). Note: opt-in (HUPBENCH_FORK_ROWS=1) until
 * forked and unforked runs of every row have been compared on this host; =0 is the baseline.
 */
export function whyNotForked(ctx: ScenarioContext): string | undefined {
  if (process.env.HUPBENCH_FORK_ROWS !== '1')
    return `HUPBENCH_FORK_ROWS=${process.env.HUPBENCH_FORK_ROWS ?? 'unset'} (forking is opt-in: =1)`;
  if (process.env.HUPBENCH_SNAPSHOTS === '0') return 'HUPBENCH_SNAPSHOTS=0';
  if (!ctx.board.rig.phaseSnapshots) return `${ctx.board.rig.config.name} cannot save a board (no phase snapshots)`;
  return undefined;
}

/**
 * Judges `row` from its phase snapshot, recording the subject's snapshots first when they are missing.
 * Undefined (with the reason noted on the console) when the recording never reached the row's phase:
 * the caller runs the row as before.
 */
export async function forkPowerCut(
  ctx: ScenarioContext,
  subject: ForkSubject,
  row: GuaranteeRow,
  opts: { hooks?: PowerCutHooks } = {},
): Promise<ForkedCut | undefined> {
  const { board } = ctx;
  const snaps = board.rig.phaseSnapshots;
  if (!snaps) throw new InfraError(`${board.rig.config.name} has no phase snapshots: check whyNotForked() first`);
  const { path } = subject;
  await board.step(`publish ${path.from.version}, ${path.to.version} and what ${path.updater} pulls`, () =>
    ctx.registry.publishPath(path),
  );
  const key: PhaseSnapshotKey = { subject: await subjectOf(ctx, subject), phase: row.phase };
  let recorded = false;
  let saved = (await snaps.find(key)) as Recorded | undefined;
  if (!saved) {
    recorded = await recordOnce(ctx, snaps, subject, key);
    saved = (await snaps.find(key)) as Recorded | undefined;
  }
  if (!saved) {
    board.rig.console.note(`the recording of ${path.updater} never reached phase ${row.phase}: the row runs unforked`);
    return undefined;
  }
  const started = Date.now();
  const resumed = await board.resumeSaved(`the phase snapshot at the start of ${row.phase}`, () => snaps.resume(key));
  if (!resumed) throw new InfraError(`the phase snapshot of ${row.phase} did not load (it was dropped; run again)`);
  const run = await followUpdater(
    board,
    saved.capture,
    updaterOptions(ctx, path, { seedMB: subject.seedMB, at: cutAt(ctx, row) }),
  );
  const source: BootedSource = { path, ...saved.source };
  const judged = await judgeCutRun(ctx, source, row, run, { seedMB: subject.seedMB, hooks: opts.hooks });
  const snapshot = `${row.phase} of ${path.updater} ${path.from.version} → ${path.to.version}`;
  return { source, judged, from: { snapshot, recorded, resumeMs: Date.now() - started } };
}

/**
 * Records the subject's snapshots unless another worker did meanwhile (the lock makes them wait):
 * boots the source, runs the updater and saves the board as each of the subject's phases starts.
 * True when this call recorded.
 */
async function recordOnce(
  ctx: ScenarioContext,
  snaps: PhaseSnapshots,
  subject: ForkSubject,
  key: PhaseSnapshotKey,
): Promise<boolean> {
  const { board } = ctx;
  const { path } = subject;
  const unlock = await snaps.lock(key.subject, 2 * updateTimeoutMs(board.rig, path, subject.seedMB));
  try {
    if (await snaps.find(key)) return false;
    const source = await bootSource(ctx, path, { seedMB: subject.seedMB });
    const { path: _, ...kept } = source;
    await board.step(`record phase snapshots of ${path.updater} (${subject.phases.join(', ')})`, () =>
      runUpdater(board, {
        ...updaterOptions(ctx, path, { seedMB: subject.seedMB, stepPrefix: 'recording: ' }),
        expectReboot: false,
        rerunAfterPreStep: false,
        capture: {
          phases: subject.phases,
          hold: () => snaps.hold(),
          // A phase that was not saved is noted; its rows record the subject again.
          save: (capture) =>
            snaps
              .save({ subject: key.subject, phase: capture.phase }, { source: kept, capture } satisfies Recorded)
              .catch((e: Error) => board.rig.console.note(`phase snapshot ${capture.phase} not saved: ${e.message}`)),
          release: () => snaps.release(),
        },
      }),
    );
    return true;
  } finally {
    await unlock();
  }
}

/** The harness code that wraps the updater (relative to this folder), besides the preparing code. */
const updaterCode = ['../updater/runner.ts', '../updater/detached-run.ts'];

/**
 * What a recording depends on: the source card, the path and the updater's arguments, the updater
 * script, the registry the device was pointed at (its address is in config.json and in the running
 * updater), the data seeded, and the harness code that prepared the device and wraps the updater.
 */
async function subjectOf(ctx: ScenarioContext, subject: ForkSubject): Promise<PhaseSnapshotKey['subject']> {
  const { path } = subject;
  const code = [updaterScript(path.updater), ...updaterCode].map((f) => nodePath.resolve(import.meta.dirname, f));
  return {
    ...(await sourceIdentity(ctx, path.from.version, code)),
    to: path.to.version,
    updater: path.updater,
    args: updaterArgs(path).join(' '),
    seedMB: subject.seedMB,
  };
}
