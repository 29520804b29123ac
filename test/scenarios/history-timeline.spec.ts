import { test, expect } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseSnapshot } from '../../harness/device/device-state.ts';
import { parseTestData } from '../../harness/report/test-data.ts';
import {
  bootcountsOf,
  type HistoryTimeline,
  stepState,
  timelineMarkdown,
} from '../../harness/scenarios/history-timeline.ts';

const snapshot = async () =>
  parseSnapshot(await readFile(path.join(import.meta.dirname, '../fixtures/bbb-snapshot.txt'), 'utf8'));

test('the bootcounts U-Boot printed, in order, out of the boot events', () => {
  expect(
    bootcountsOf(['bootloader', 'bootcount=1', 'kernel', 'panic', 'bootloader', 'bootcount=2', 'bootlimit']),
  ).toEqual([1, 2]);
  expect(bootcountsOf(['bootloader', 'kernel', 'login'])).toEqual([]);
});

test('a step state is the boot-selection view of a DeviceState', async () => {
  const state = await snapshot();
  const s = stepState(state, true);
  expect(s.activeRoot).toBe(state.activeRoot.label);
  expect(s.resinRootPart).toBe(state.bootEnv.resin_root_part ?? '-');
  expect(s.bootcountEnv).toBe(Object.hasOwn(state.bootFiles, './bootcount.env'));
  expect(s.stateFiles).toEqual([...state.stateFiles].sort());
});

test('the timeline is one markdown row per step and a valid history record', async () => {
  const state = stepState(await snapshot(), true);
  const timeline: HistoryTimeline = {
    history: 'altboot rollback, then update',
    rig: 'qemu-beaglebone-black',
    deviceType: 'beaglebone-black',
    wallMs: 600_000,
    rows: [
      {
        index: 1,
        step: 'boot',
        startedAt: 1,
        durationMs: 30_000,
        status: 'passed',
        boots: 0,
        bootEvents: [],
        bootcounts: [],
        boardSteps: [],
        state,
      },
      {
        index: 2,
        step: 'broken | init',
        startedAt: 2,
        durationMs: 90_000,
        status: 'failed',
        error: 'no login',
        boots: 2,
        bootEvents: ['bootloader', 'bootcount=1', 'panic'],
        bootcounts: [1],
        boardSteps: [{ name: 'board: reboot', durationMs: 5, status: 'passed', events: ['bootcount=1'] }],
      },
    ],
  };
  const md = timelineMarkdown(timeline);
  const rows = md.split('\n').filter((l) => /^\| \d/.test(l));
  expect(rows).toHaveLength(2);
  expect(rows[1]).toContain('broken \\| init');
  expect(rows[1]).toContain('FAILED: no login');
  expect(md).toContain('step 2 boot events: bootloader → bootcount=1 → panic');
  expect(parseTestData('history', JSON.stringify(timeline))).toEqual(timeline);
});
