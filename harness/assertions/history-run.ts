// Suite-side: runs a history (harness/scenarios/history.ts) inside a test. The body gets the history
// and `after`, which asserts a step's state against the step before (expectStep); the history's
// timeline is attached (JSON and markdown) and recorded for the summary whatever the outcome.
import { type TestInfo, test } from '@playwright/test';
import type { DeviceState } from '../device/device-state.ts';
import { recordTestData } from '../report/test-data.ts';
import type { ScenarioContext } from '../scenarios/context.ts';
import { History, type HistoryStep } from '../scenarios/history.ts';
import type { HistoryTimeline } from '../scenarios/history-timeline.ts';
import { type ExpectedStep, expectStep } from './history-state.ts';

/**
 * Asserts a step's state; `sums` replaces the resin-data reference from this step on (for a step that
 * changes the data on purpose).
 */
export type AfterStep = (s: HistoryStep<unknown>, want: ExpectedStep, sums?: Record<string, string>) => Promise<void>;

export async function runHistory(
  ctx: ScenarioContext,
  name: string,
  body: (h: History, after: AfterStep) => Promise<void>,
): Promise<void> {
  const h = new History(ctx, name);
  let previous: DeviceState | undefined;
  let reference: Record<string, string> | undefined;
  // Note: files of the device's own in /mnt/state (dropbear's host keys, 1.x resin-conf files) are
  // expected after every step as the first step found them.
  let owned: string[] = [];
  const after: AfterStep = async (s, want, sums) => {
    if (!previous) owned = s.state.stateFiles.filter((f) => !f.startsWith('rollback-'));
    if (sums) h.rebaseData(s, sums);
    reference = sums ?? reference ?? s.sums;
    const stepCtx = { previous: previous ?? s.state, sums: reference, deviceType: ctx.board.rig.deviceType };
    previous = s.state;
    await expectStep(s, { ...want, stateFiles: [...want.stateFiles, ...owned] }, stepCtx);
  };
  try {
    await body(h, after);
  } finally {
    const timeline = h.timeline();
    const testInfo = test.info();
    testInfo.annotations.push({ type: 'history', description: `${name}: ${(timeline.wallMs / 1000).toFixed(0)} s` });
    await attachHistoryTimeline(testInfo, timeline, h.markdown());
  }
}

/** A history's timeline on the running test: JSON and markdown, and its record for the run's tables. */
export async function attachHistoryTimeline(
  testInfo: TestInfo,
  timeline: HistoryTimeline,
  markdown: string,
): Promise<void> {
  await testInfo.attach('history-timeline.md', { body: markdown, contentType: 'text/markdown' });
  await testInfo.attach('history-timeline.json', {
    body: JSON.stringify(timeline, null, 2),
    contentType: 'application/json',
  });
  await recordTestData(testInfo, 'history', timeline);
}
