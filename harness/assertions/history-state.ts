// Suite-side: a history's step left the device as expected. One comparison of everything the
// boot-selection contract and the device's identity are made of — version, layout, running root, the
// whole resinOS_uEnv.txt, what the boot settings select, the bootcounts U-Boot printed during the step,
// bootcount.env, every file in /mnt/state, the partition table and the 2.x boot files' 1.x leftovers
// against the previous step — so the failure's diff shows every difference at once; then resin-data
// bit for bit against the history's reference checksums.
import { expect, test } from '@playwright/test';
import type { DeviceState } from '../device/device-state.ts';
import { stableState } from '../device/device-state.ts';
import type { HistoryStep } from '../scenarios/history.ts';

export type RootLabel = 'resin-rootA' | 'resin-rootB' | 'resin-root' | 'resin-updt';

export interface ExpectedStep {
  version: string;
  /** The root the device runs from after the step. */
  root: RootLabel;
  /** The root the boot settings select; default the running one. */
  bootRoot?: RootLabel;
  /** 2.x: resinOS_uEnv.txt's upgrade_available (1.x has no such setting). */
  upgradeAvailable?: '0' | '1';
  /** The bootcount values U-Boot printed during the step, in order. */
  bootcounts: number[];
  /** bootcount.env on resin-boot: a trial's boots are being counted. */
  bootcountEnv: boolean;
  /** Every file in /mnt/state (lost+found aside). */
  stateFiles: string[];
  /** The step rewrote the partition table (1.x → 2.x); every other step must leave it as it was. */
  repartitioned?: boolean;
}

/** What resinOS_uEnv.txt (2.x) or uEnv.txt / cmdline.txt (1.x) write for a root. */
export const partOf = (root: RootLabel) => (root === 'resin-rootA' || root === 'resin-root' ? '2' : '3');
export const otherRoot = (root: RootLabel): RootLabel =>
  ({
    'resin-rootA': 'resin-rootB',
    'resin-rootB': 'resin-rootA',
    'resin-root': 'resin-updt',
    'resin-updt': 'resin-root',
  })[root] as RootLabel;
const layoutOf = (root: RootLabel) => (root.startsWith('resin-root') && root !== 'resin-root' ? '2.x' : '1.x');
const labelsLayout = (s: DeviceState) => (s.partitions.some((p) => p.label === 'resin-rootA') ? '2.x' : '1.x');

function observed(step: HistoryStep<unknown>, previous: DeviceState) {
  const { state, row } = step;
  const twoX = labelsLayout(state) === '2.x' && labelsLayout(previous) === '2.x';
  return {
    version: state.osRelease.VERSION,
    machine: state.osRelease.MACHINE,
    layout: labelsLayout(state),
    root: state.activeRoot.label,
    bootEnv: state.bootEnv,
    bootSelects: state.bootSelects,
    bootcountsPrinted: row.bootcounts,
    bootcountEnv: Object.hasOwn(state.bootFiles, './bootcount.env'),
    stateFiles: [...state.stateFiles].sort(),
    partitionTableAsBefore:
      JSON.stringify(stableState(state).partitions) === JSON.stringify(stableState(previous).partitions),
    // 2.x: the firmware's and the 1.x boot files (config.txt, cmdline.txt) are not the updaters' to change.
    legacyBootAsBefore: twoX ? JSON.stringify(state.legacyBoot) === JSON.stringify(previous.legacyBoot) : 'n/a (1.x)',
  };
}

export interface StepContext {
  /** The state after the step before (the first step compares with itself). */
  previous: DeviceState;
  /** resin-data checksums every step must keep. */
  sums: Record<string, string>;
  deviceType: string;
}

/** Asserts the state after a history's step. */
export async function expectStep(step: HistoryStep<unknown>, want: ExpectedStep, ctx: StepContext): Promise<void> {
  const { row } = step;
  await test.step(`after step ${row.index} (${row.step}): device state, boot selection, resin-data`, async () => {
    const bootPart = partOf(want.bootRoot ?? want.root);
    const layout = layoutOf(want.root);
    const oneXFile = ctx.deviceType === 'raspberrypi3-64' ? 'cmdline.txt' : 'uEnv.txt';
    const expected: ReturnType<typeof observed> = {
      version: want.version,
      machine: ctx.deviceType,
      layout,
      root: want.root,
      bootEnv: layout === '2.x' ? { resin_root_part: bootPart, upgrade_available: want.upgradeAvailable ?? '0' } : {},
      bootSelects: { file: layout === '2.x' ? 'resinOS_uEnv.txt' : oneXFile, partition: Number(bootPart) },
      bootcountsPrinted: want.bootcounts,
      bootcountEnv: want.bootcountEnv,
      stateFiles: [...want.stateFiles].sort(),
      partitionTableAsBefore: !want.repartitioned,
      legacyBootAsBefore: layout === '2.x' && labelsLayout(ctx.previous) === '2.x' ? true : 'n/a (1.x)',
    };
    expect(
      observed(step, ctx.previous),
      `after step ${row.index} "${row.step}": the device's state (boot events during the step: ${row.bootEvents.join(' → ') || 'none'})`,
    ).toEqual(expected);
    expect(step.sums, `after step ${row.index} "${row.step}": resin-data bit for bit`).toEqual(ctx.sums);
  });
}
