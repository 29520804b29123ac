import { test, expect } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expectStep } from '../../harness/assertions/history-state.ts';
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
        step: 'move files off',
        startedAt: 2,
        durationMs: 5_000,
        status: 'passed',
        boots: 0,
        bootEvents: [],
        bootcounts: [],
        boardSteps: [],
        state: { ...state, dataRebased: true },
      },
      {
        index: 3,
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
  expect(rows).toHaveLength(3);
  expect(rows[0]).toMatch(/\| intact \|$/);
  expect(rows[1], 'a step that changed resin-data on purpose').toMatch(/\| intact \(new reference\) \|$/);
  expect(rows[2]).toContain('broken \\| init');
  expect(rows[2]).toContain('FAILED: no login');
  expect(md).toContain('step 3 boot events: bootloader → bootcount=1 → panic');
  expect(parseTestData('history', JSON.stringify(timeline))).toEqual(timeline);
});

test.describe('expectStep', () => {
  const step = async (bootcounts: number[]) => {
    const state = await snapshot();
    const sums = { './userdata/file-1.bin': 'abc' };
    const row = {
      index: 2,
      step: 'update',
      startedAt: 0,
      durationMs: 1,
      status: 'passed' as const,
      boots: bootcounts.length,
      bootEvents: bootcounts.map((n) => `bootcount=${n}`),
      bootcounts,
      boardSteps: [],
    };
    return {
      step: { value: undefined, state, sums, row },
      ctx: { previous: state, sums, deviceType: 'beaglebone-black' },
    };
  };
  const want = {
    version: '2.9.7+rev1',
    root: 'resin-rootA' as const,
    upgradeAvailable: '0' as const,
    bootcounts: [],
    bootcountEnv: false,
    stateFiles: ['dropbear'],
  };

  test('passes when every part of the state is as expected', async () => {
    const { step: s, ctx } = await step([]);
    await expectStep(s, want, ctx);
  });

  test('fails on a bootcount that did not start from zero, naming the step', async () => {
    const { step: s, ctx } = await step([4]);
    await expect(expectStep(s, want, ctx)).rejects.toThrow(/after step 2 "update".*bootcount=4/);
  });

  test('fails on a leftover in /mnt/state, on changed data and on a changed partition table', async () => {
    const { step: s, ctx } = await step([]);
    await expect(expectStep(s, { ...want, stateFiles: [] }, ctx)).rejects.toThrow(/dropbear/);
    await expect(expectStep(s, want, { ...ctx, sums: { './userdata/file-1.bin': 'def' } })).rejects.toThrow(
      /resin-data bit for bit/,
    );
    const moved = { ...ctx.previous, partitions: ctx.previous.partitions.slice(1) };
    await expect(expectStep(s, want, { ...ctx, previous: moved })).rejects.toThrow(/partitionTableAsBefore/);
  });
});
