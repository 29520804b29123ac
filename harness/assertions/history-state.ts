// Suite-side: a history's step left the device as expected. One comparison of everything the
// boot-selection contract and the device's identity are made of — version, running root, the whole
// resinOS_uEnv.txt, what the boot settings select, the bootcounts U-Boot printed during the step,
// bootcount.env, every file in /mnt/state, the partition table and the 1.x boot files against the
// history's first step — so the failure's diff shows every difference at once; then resin-data bit
// for bit against the first step's checksums.
import { expect, test } from '@playwright/test';
import type { DeviceState } from '../device/device-state.ts';
import { stableState } from '../device/device-state.ts';
import type { HistoryStep } from '../scenarios/history.ts';

export type RootLabel = 'resin-rootA' | 'resin-rootB';

export interface ExpectedStep {
  version: string;
  /** The root the device runs from after the step. */
  root: RootLabel;
  /** The root resinOS_uEnv.txt names; default the running one. */
  bootRoot?: RootLabel;
  upgradeAvailable: '0' | '1';
  /** The bootcount values U-Boot printed during the step, in order. */
  bootcounts: number[];
  /** bootcount.env on resin-boot: a trial's boots are being counted. */
  bootcountEnv: boolean;
  /** Every file in /mnt/state (lost+found aside). */
  stateFiles: string[];
}

export const partOf = (root: RootLabel) => (root === 'resin-rootA' ? '2' : '3');
export const otherRoot = (root: RootLabel): RootLabel => (root === 'resin-rootA' ? 'resin-rootB' : 'resin-rootA');

function observed(step: HistoryStep<unknown>, first: DeviceState) {
  const { state, row } = step;
  return {
    version: state.osRelease.VERSION,
    machine: state.osRelease.MACHINE,
    root: state.activeRoot.label,
    bootEnv: state.bootEnv,
    bootSelects: state.bootSelects,
    bootcountsPrinted: row.bootcounts,
    bootcountEnv: Object.hasOwn(state.bootFiles, './bootcount.env'),
    stateFiles: [...state.stateFiles].sort(),
    partitionsAsAtFirstStep:
      JSON.stringify(stableState(state).partitions) === JSON.stringify(stableState(first).partitions),
    legacyBootAsAtFirstStep: JSON.stringify(state.legacyBoot) === JSON.stringify(first.legacyBoot),
  };
}

/** Asserts the state after a history's step; `first` is the state after its first step. */
export async function expectStep(
  step: HistoryStep<unknown>,
  want: ExpectedStep,
  ctx: { first: DeviceState; sums: Record<string, string>; deviceType: string },
): Promise<void> {
  const { row } = step;
  await test.step(`after step ${row.index} (${row.step}): device state, boot selection, resin-data`, async () => {
    const bootPart = partOf(want.bootRoot ?? want.root);
    const expected: ReturnType<typeof observed> = {
      version: want.version,
      machine: ctx.deviceType,
      root: want.root,
      bootEnv: { resin_root_part: bootPart, upgrade_available: want.upgradeAvailable },
      bootSelects: { file: 'resinOS_uEnv.txt', partition: Number(bootPart) },
      bootcountsPrinted: want.bootcounts,
      bootcountEnv: want.bootcountEnv,
      stateFiles: [...want.stateFiles].sort(),
      partitionsAsAtFirstStep: true,
      legacyBootAsAtFirstStep: true,
    };
    expect(
      observed(step, ctx.first),
      `after step ${row.index} "${row.step}": the device's state (boot events during the step: ${row.bootEvents.join(' → ') || 'none'})`,
    ).toEqual(expected);
    expect(step.sums, `after step ${row.index} "${row.step}": resin-data bit for bit as after step 1`).toEqual(
      ctx.sums,
    );
  });
}
