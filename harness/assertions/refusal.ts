// Suite-side: a refused update asserted the same way for every updater (the @sanity suites). The
// updater must exit with the expected code, say why, not reboot, run no phase past its checks, and
// leave the device as it was: DeviceState (stableState), the running containers, resin-data.
import { expect, test } from '@playwright/test';
import { stableState } from '../device/device-state.ts';
import { refusalMessage } from '../faults/refusals.ts';
import type { Refusal } from '../faults/types.ts';
import type { ScenarioContext } from '../scenarios/context.ts';
import { deviceBaseline, runRefused } from '../scenarios/refusal.ts';
import { contractOfScript } from '../updater/profiles/index.ts';
import { describeRun, type HupRun } from '../updater/runner.ts';
import type { UpdaterContract } from '../updater/profiles/types.ts';

/** The phases a refusal may start: the updater's, up to `lastPhase` (default the checks). */
function phasesUpTo(contract: UpdaterContract, lastPhase = 'checks'): { allowed: string[]; last: string } {
  const names = contract.phases.map((p) => p.name);
  const at = names.indexOf(lastPhase);
  if (at < 0)
    throw new Error(`The refusal's lastPhase "${lastPhase}" is not a phase of ${contract.script}: ${names.join(', ')}`);
  return { allowed: names.slice(0, at + 1), last: lastPhase === 'checks' ? 'the checks' : lastPhase };
}

/** Runs `updater` as the refusal says and asserts that it refused cleanly. */
export async function expectRefusal(ctx: ScenarioContext, updater: string, refusal: Refusal): Promise<HupRun> {
  const testInfo = test.info();
  testInfo.annotations.push({
    type: 'path',
    description: `${refusal.device.version} → ${refusal.target} on ${ctx.board.rig.deviceType}`,
  });
  const { run, before } = await runRefused(ctx, updater, refusal);
  await testInfo.attach('updater.log', { body: run.log, contentType: 'text/plain' });

  expect(run.exitCode, describeRun(run)).toBe(refusal.exitCode);
  expect(run.output, 'the refusal says why').toMatch(refusalMessage(contractOfScript(updater).contract, refusal));
  expect(run.reboots, 'a refused update does not reboot').toBe(0);
  const { allowed, last } = phasesUpTo(contractOfScript(updater).contract, refusal.lastPhase);
  expect(
    run.phases.map((p) => p.name).filter((p) => !allowed.includes(p)),
    `no phase past ${last}`,
  ).toEqual([]);

  const after = await deviceBaseline(ctx.board);
  await testInfo.attach('device-state.json', {
    body: JSON.stringify({ before: before.state, after: after.state }, null, 2),
    contentType: 'application/json',
  });
  expect(stableState(after.state), 'DeviceState after the refusal').toEqual(stableState(before.state));
  expect(after.containers, 'the containers running after the refusal').toEqual(before.containers);
  expect(after.sums, 'resin-data checksums after the refusal').toEqual(before.sums);
  // stableState leaves resin-boot's files out; a refusal after the export must not have reached them.
  if (refusal.lastPhase)
    expect(after.state.bootFiles, 'the boot-partition files after the refusal').toEqual(before.state.bootFiles);
  return run;
}
