// Suite-side: the 2.x histories' good update as two steps — the update into the then-spare root (the
// device then runs it on trial) and rollback-health keeping it — each step's state asserted. Also the
// /mnt/state files those states name, and the checks the two steps make of the run and the trial.
import { expect } from '@playwright/test';
import type { HealthWindow } from '../device/health-window.ts';
import { expectSupervisorAndAppRunning } from '../device/services.ts';
import type { ScenarioContext } from '../scenarios/context.ts';
import type { History, HistoryStep } from '../scenarios/history.ts';
import { awaitTrialVerdict } from '../scenarios/history-steps.ts';
import { runUpdate } from '../scenarios/update.ts';
import type { UpgradePath } from '../updater/paths.ts';
import { describeRun, type HupRun } from '../updater/runner.ts';
import type { AfterStep } from './history-run.ts';
import type { RootLabel } from './history-state.ts';

export const VARIABLES = 'rollback-health-variables';
export const PREVIOUS = 'rollback-previous-version';
const BREADCRUMBS = ['rollback-altboot-breadcrumb', 'rollback-health-breadcrumb'];
/** What /mnt/state holds with no trial running and none ever judged on this root. */
export const settledState = [VARIABLES, PREVIOUS];
/** What /mnt/state holds while an update is on trial. */
export const trialState = [...BREADCRUMBS, VARIABLES, PREVIOUS];

/** An update's run: exit 0, and it wrote the then-spare root. */
export function expectUpdatedInto(run: HupRun, spare: RootLabel): void {
  expect(run.exitCode, `${run.script} ${describeRun(run)}`).toBe(0);
  expect(run.output, `the updater wrote the then-spare root ${spare}`).toMatch(
    new RegExp(`spare root \\S+ \\(${spare}\\)`),
  );
}

/** The trial's verdict came and kept the update; the target's supervisor and the app run. */
export async function keepTrial(ctx: ScenarioContext, supervisor: string, window?: HealthWindow): Promise<void> {
  await awaitTrialVerdict(ctx, window);
  await expectSupervisorAndAppRunning(ctx.board.device, supervisor, { when: 'after the trial' });
}

export interface UpdateAndKeep<T> {
  path: UpgradePath;
  target: { version: string; supervisor: string };
  /** The then-spare root: the update writes it and the device then runs from it. */
  spare: RootLabel;
  /** The update step's name; default `update to <version>`. */
  name?: string;
  window?: HealthWindow;
  /** More checks while the update is on trial, before the verdict. */
  onTrial?: (update: HistoryStep<HupRun>) => Promise<void>;
  /** Read in the keep step, once the trial was kept: that step's value. */
  read?: () => Promise<T>;
}

/** Updates into the then-spare root, then waits for rollback-health to keep it; both steps asserted. */
export async function updateAndKeep<T = void>(
  h: History,
  after: AfterStep,
  ctx: ScenarioContext,
  o: UpdateAndKeep<T>,
): Promise<{ update: HistoryStep<HupRun>; kept: HistoryStep<T | undefined> }> {
  const { version, supervisor } = o.target;
  const update = await h.step(o.name ?? `update to ${version}`, () => runUpdate(ctx, o.path));
  expectUpdatedInto(update.value, o.spare);
  // A trial counts from zero: U-Boot's first boot of it prints bootcount=1.
  await after(update, {
    version,
    root: o.spare,
    upgradeAvailable: '1',
    bootcounts: [1],
    bootcountEnv: true,
    stateFiles: trialState,
  });
  await o.onTrial?.(update);

  const kept = await h.step(`rollback-health keeps ${version}`, async () => {
    await keepTrial(ctx, supervisor, o.window);
    return o.read?.();
  });
  await after(kept, {
    version,
    root: o.spare,
    upgradeAvailable: '0',
    bootcounts: [],
    bootcountEnv: false,
    stateFiles: settledState,
  });
  return { update, kept };
}
