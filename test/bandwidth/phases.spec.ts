// The phases a whole update's bytes are split into, on the host clock: a pre-step's and its reboot,
// the updater's own, and the new OS until the device settled.
import { expect, test } from '@playwright/test';
import { phasesOf } from '../../harness/bandwidth/meter.ts';
import type { HupRun } from '../../harness/updater/runner.ts';

const run = (exitedAt: number, durationMs: number, phases: Array<[string, number]>, reboots = 1): HupRun =>
  ({
    exitedAt,
    durationMs,
    reboots,
    phases: phases.map(([name, startedAtMs]) => ({ name, startedAtMs, durationMs: 0 })),
  }) as unknown as HupRun;

test('a run with a pre-step: its phases prefixed, both reboots, the first phase from the meter start', () => {
  const preStep = run(100_000, 60_000, [
    ['checks', 1000],
    ['copy-root', 5000],
  ]);
  const rerun = {
    ...run(400_000, 200_000, [
      ['checks', 0],
      ['pull', 10_000],
    ]),
    preStep,
  };
  expect(phasesOf(rerun, 39_000)).toEqual([
    { name: 'pre-step: updater start', startMs: 39_000 },
    { name: 'pre-step: checks', startMs: 41_000 },
    { name: 'pre-step: copy-root', startMs: 45_000 },
    { name: 'pre-step reboot', startMs: 100_000 },
    { name: 'checks', startMs: 200_000 },
    { name: 'pull', startMs: 210_000 },
    { name: 'reboot and the new OS until settled', startMs: 400_000 },
  ]);
});

test('a run that failed without a reboot ends with its last phase', () => {
  const failed = run(50_000, 30_000, [['checks', 0]], 0);
  expect(phasesOf(failed, 20_000).map((p) => p.name)).toEqual(['checks']);
});
