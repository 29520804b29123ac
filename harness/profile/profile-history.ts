// Replays a profile's history (profile-histories.ts) on the device built from the profile, before the
// update the reproduction is about: the same update is tried first, its new OS is broken as the
// history says, and the device must roll back to where it was, by that history's mechanism, with its
// data. A device that does not is a product failure, and the reproduction stops there: the field
// device's past could not happen. The steps are a History (harness/scenarios/history.ts), so the
// timeline, boots and bootcounts per step go into the evidence as the histories suite's do.
import { newOsFaults } from '../faults/catalogue.ts';
import type { ScenarioContext } from '../scenarios/context.ts';
import { History } from '../scenarios/history.ts';
import type { HistoryTimeline } from '../scenarios/history-timeline.ts';
import { breakNewOsAndFollowRollback } from '../scenarios/rollback.ts';
import type { BootedSource } from '../scenarios/source.ts';
import { runUpdate } from '../scenarios/update.ts';
import { type ProfileHistoryName, profileHistories } from './profile-histories.ts';

export class HistoryReplayError extends Error {
  override name = 'HistoryReplayError';
}

export interface ReplayedHistory {
  timeline: HistoryTimeline;
  markdown: string;
  /** The source as the history left it: its state and data are what the update starts from. */
  source: BootedSource;
}

export async function replayHistory(
  ctx: ScenarioContext,
  name: ProfileHistoryName,
  source: BootedSource,
): Promise<ReplayedHistory> {
  const { fault: faultName } = profileHistories[name];
  const fault = newOsFaults[faultName]!;
  const { from, to } = source.path;
  // The data the profile's device was built with is what every step must keep.
  const h = new History(ctx, `${name} (${from.version} → ${to.version})`, source.sums);
  const done = () => ({ timeline: h.timeline(), markdown: h.markdown() });
  try {
    const update = await h.step(`update to ${to.version} (--no-reboot)`, () =>
      runUpdate(ctx, source.path, { extraArgs: ['--no-reboot'] }),
    );
    if (update.value.exitCode !== 0)
      throw new HistoryReplayError(
        `history ${name}: the first update to ${to.version} failed (exit ${update.value.exitCode}: ${update.value.error ?? 'no error line'}), so the device cannot have rolled back from it`,
      );
    const rollback = await h.step(`${fault.name} in ${to.version}; reboot; rollback by ${fault.caughtBy}`, () =>
      breakNewOsAndFollowRollback(ctx, fault, update.state),
    );
    const { verdict } = rollback.value;
    const version = rollback.state.osRelease.VERSION;
    const problems = [
      verdict.mechanism !== fault.caughtBy && `rolled back by ${verdict.mechanism}, not ${fault.caughtBy}`,
      version !== from.version && `runs ${version ?? '?'}, not ${from.version}`,
      rollback.state.activeRoot.label !== source.before.activeRoot.label &&
        `booted ${rollback.state.activeRoot.label}, not ${source.before.activeRoot.label}`,
      !rollback.row.state?.dataIntact && 'resin-data changed',
    ].filter(Boolean);
    if (problems.length)
      throw new HistoryReplayError(
        `history ${name}: after the rollback the device ${problems.join('; ')}: ${verdict.line}`,
      );
    return { ...done(), source: { ...source, before: rollback.state, sums: rollback.sums } };
  } catch (error) {
    throw Object.assign(error as Error, { history: done() });
  }
}
