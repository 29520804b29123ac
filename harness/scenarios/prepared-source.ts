// "Prepare once per snapshot": a source booted and prepared (config.json at the worker's registry,
// the supervisor and the app pulled and running, the seed and rollback-health's window) is the same
// device every time it is prepared with the same registry. The second time a worker prepares one,
// the board is saved as it then stands (a phase snapshot named `prepared`); every later preparation
// resumes it instead of pulling and starting the supervisor and the app again.
// Note: saved on the second preparation, not the first: a save costs seconds, and a run that
// prepares each source once (npm test's smoke paths) would pay it for nothing.
import { connectAndSetClock, type StartTimes } from '../board/boot.ts';
import type { PhaseSnapshotKey, PhaseSnapshots } from '../rig/rig.ts';
import type { UpgradePath } from '../updater/paths.ts';
import type { ScenarioContext } from './context.ts';
import { sourceIdentity } from './source-identity.ts';

const PHASE = 'prepared';

/** How often this worker prepared each subject (the worker's registry is part of the subject). */
const preparations = new Map<string, number>();

export interface PreparedSnapshot {
  snaps: PhaseSnapshots;
  key: PhaseSnapshotKey;
  /** This preparation is the subject's second in the worker: save the board once it is prepared. */
  saveAfter: boolean;
}

/**
 * The prepared-source snapshot this preparation may resume or save, or undefined when it must
 * prepare for real: a rig that cannot save a board, HUPBENCH_SNAPSHOTS=0 or HUPBENCH_PREPARED=0, or a
 * source whose preparation a test changes (a card edited or seeded on the host, its first boot,
 * other config.json keys or WiFi networks).
 */
export async function preparedSnapshotFor(
  ctx: ScenarioContext,
  path: UpgradePath,
  custom: boolean,
): Promise<PreparedSnapshot | undefined> {
  const snaps = ctx.board.rig.phaseSnapshots;
  if (!snaps || custom || process.env.HUPBENCH_SNAPSHOTS === '0' || process.env.HUPBENCH_PREPARED === '0')
    return undefined;
  const subject = {
    kind: PHASE,
    ...(await sourceIdentity(ctx, path.from.version)),
    supervisor: path.from.supervisor,
    healthWindow: path.pathClass === '2x' ? 'yes' : 'no',
  };
  const count = (preparations.get(JSON.stringify(subject)) ?? 0) + 1;
  preparations.set(JSON.stringify(subject), count);
  return { snaps, key: { subject, phase: PHASE }, saveAfter: count === 2 };
}

/** Resumes the prepared board; undefined when there is none (or it would not load). */
export async function resumePrepared(
  ctx: ScenarioContext,
  prepared: PreparedSnapshot,
): Promise<StartTimes | undefined> {
  const { board } = ctx;
  if (!(await prepared.snaps.find(prepared.key))) return undefined;
  const started = Date.now();
  const resumed = await board.resumeSaved(
    `the prepared ${prepared.key.subject.from} (supervisor and app running)`,
    () => prepared.snaps.resume(prepared.key),
  );
  if (!resumed) return undefined;
  await board.step('set the resumed device clock to the host clock', () => connectAndSetClock(board.rig, board.device));
  const ms = Date.now() - started;
  return { loginPromptMs: ms, sshReadyMs: ms, resumed: true };
}

/**
 * Saves the prepared board. SSH is closed first, so the saved device holds no session of this run.
 * A failed save costs later tests a preparation, not this test its run: it is noted on the console.
 */
export async function savePrepared(ctx: ScenarioContext, prepared: PreparedSnapshot): Promise<void> {
  const { board } = ctx;
  await board.step(`save the prepared ${prepared.key.subject.from} for this worker's next tests`, async () => {
    await board.device.disconnect();
    await prepared.snaps.hold();
    try {
      await prepared.snaps.save(prepared.key, { savedBy: process.pid });
    } catch (e) {
      board.rig.console.note(`prepared snapshot not saved: ${(e as Error).message.split('\n')[0]}`);
    } finally {
      await prepared.snaps.release();
    }
    await board.device.connect(board.rig.config.bootTimeoutSeconds * 1000);
  });
}
