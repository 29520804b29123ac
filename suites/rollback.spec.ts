// @rollback: an update whose new OS is broken must end on the old OS, with its data, by the mechanism
// the fault calls for (harness/scenarios/rollback.ts follows it). The updater runs with --no-reboot,
// the fault is applied to what it wrote, and the reboot into the new OS is followed on the console:
// - altboot (broken init): U-Boot counts the failed boots, gives up past the limit, boots the old
//   root; rollback-altboot restores the boot settings and reboots.
// - health (broken engine or supervisor): the new OS boots, rollback-health's checks fail, it
//   switches back and reboots.
// - bootloader default (corrupt resinOS_uEnv.txt): U-Boot boots partition 2; rollback-altboot
//   rewrites sane settings.
import {
  test,
  expect,
  BOOT_LIMIT,
  newOsFaults,
  loadPaths2x,
  subjectPath,
  runUpdate,
  describeRun,
  bootSource,
  breakNewOsAndFollowRollback,
  expectedRollbackBoots,
  dataChecksums,
  heartbeats,
  type NewOsFault,
  type RollbackResult,
  type UpgradePath,
  type ScenarioContext,
  type DeviceState,
  recordTestData,
  pathRecord,
  imagePullAllowanceMs,
} from '../harness/index.ts';

// The newest target from the newest source below it: the update a fleet would take next; in a
// release gate, the path to the gated release (none when it is not a 2.x release: 1.x has no rollback).
const path = subjectPath(await loadPaths2x());

if (path)
  for (const fault of Object.values(newOsFaults)) {
    test(`rollback: ${fault.name} (${path.name})`, { tag: ['@rollback'] }, async ({ rig, scenario }, testInfo) => {
      // Up to five boots plus an update (and a second one after broken-init): scale with the rig.
      test.setTimeout(rig.config.bootTimeoutSeconds * 1000 * 10 + imagePullAllowanceMs(rig));
      await recordTestData(testInfo, 'path', pathRecord(path, `rollback: ${fault.name}`));
      testInfo.annotations.push({ type: 'fault', description: `${fault.name}: ${fault.description}` });
      testInfo.annotations.push({ type: 'guarantee', description: fault.guarantee });

      const { before, sums } = await bootSource(scenario, path);
      const run = await runUpdate(scenario, path, { extraArgs: ['--no-reboot'] });
      await testInfo.attach('updater.log', { body: run.log, contentType: 'text/plain' });
      expect(run.exitCode, `upgrade-2.x.sh --no-reboot ${describeRun(run)}`).toBe(0);

      const result = await breakNewOsAndFollowRollback(scenario, fault, before);
      await testInfo.attach('device-state.json', {
        body: JSON.stringify({ before, after: result.after }, null, 2),
        contentType: 'application/json',
      });
      testInfo.annotations.push({ type: 'verdict', description: result.verdict.line });
      await testInfo.attach('verdict.txt', {
        body: `${fault.name}: ${result.verdict.line}\n`,
        contentType: 'text/plain',
      });

      await expectMechanism(fault, result);
      await expectOldOsBack(scenario, path, before, result);
      await expectBreadcrumbs(scenario, fault, result);
      await test.step('resin-data intact and the app running again', async () => {
        const { device } = scenario.board;
        expect(await dataChecksums(device)).toEqual(sums);
        const last = Math.max(0, ...(await heartbeats(device)));
        await expect
          .poll(async () => Math.max(0, ...(await heartbeats(device))), {
            timeout: 180_000,
            intervals: [2000],
            message: 'the app heartbeat advancing on the old OS',
          })
          .toBeGreaterThan(last);
      });
      if (fault.name === 'broken-init') await expectCleanRetry(scenario, path, result);
    });
  }

async function expectMechanism(fault: NewOsFault, { verdict, events }: RollbackResult) {
  await test.step('the mechanism and the number of boots are the expected ones', async () => {
    expect(verdict.mechanism, verdict.line).toBe(fault.caughtBy);
    expect(verdict.boots, `boots from the reboot to the settled device (${verdict.line})`).toBe(
      expectedRollbackBoots[fault.caughtBy],
    );
    if (fault.caughtBy !== 'altboot') return;
    const counts = events
      .filter((e) => e.kind === 'bootcount')
      .map((e) => Number(e.line.match(/bootcount=(\d+)/)?.[1]));
    expect(counts, 'U-Boot counted one more boot each time, up to one past the limit').toEqual(
      Array.from({ length: BOOT_LIMIT + 1 }, (_, i) => i + 1),
    );
    expect(events.filter((e) => e.kind === 'panic').length, 'the new OS panicked on each of its boots').toBe(
      BOOT_LIMIT,
    );
  });
}

async function expectOldOsBack(ctx: ScenarioContext, p: UpgradePath, before: DeviceState, { after }: RollbackResult) {
  await test.step('back on the old root and version, with sane boot settings', async () => {
    expect(after).toBootFrom(before.activeRoot.label!);
    expect(after.osRelease.VERSION).toBe(p.from.version);
    expect(after.bootEnv).toMatchObject({
      resin_root_part: String(before.activeRoot.partition),
      upgrade_available: '0',
    });
    expect(
      await ctx.board.device.exec('test -e /mnt/boot/bootcount.env'),
      'bootcount.env removed when the trial ended',
    ).toMatchObject({ exitCode: 1 });
  });
}

async function expectBreadcrumbs(ctx: ScenarioContext, fault: NewOsFault, { after }: RollbackResult) {
  await test.step('breadcrumbs say what happened', async () => {
    const rollbackFiles = after.stateFiles
      .filter(
        (f) => f.startsWith('rollback-') && f !== 'rollback-health-variables' && f !== 'rollback-previous-version',
      )
      .sort();
    const expected =
      fault.caughtBy === 'health'
        ? ['rollback-health-failed', 'rollback-health-triggered']
        : ['rollback-altboot-triggered'];
    expect(rollbackFiles, 'rollback files in /mnt/state').toEqual(expected);
    if (fault.caughtBy === 'health') {
      const reason = await ctx.board.device.check('cat /mnt/state/rollback-health-failed');
      test.info().annotations.push({ type: 'health-failure', description: reason.trim() });
      expect(reason).toMatch(fault.name === 'broken-engine' ? /engine/ : /supervisor/);
    }
  });
}

async function expectCleanRetry(ctx: ScenarioContext, p: UpgradePath, { spareLabel }: RollbackResult) {
  await test.step('a clean update afterwards succeeds', async () => {
    const again = await runUpdate(ctx, p, { stepPrefix: 'retry: ' });
    await test.info().attach('updater-retry.log', { body: again.log, contentType: 'text/plain' });
    expect(again.exitCode, `retry ${describeRun(again)}`).toBe(0);
    const state = await ctx.board.device.snapshot();
    expect(state).toBootFrom(spareLabel);
    expect(state.osRelease.VERSION).toBe(p.to.version);
    expect(state.stateFiles, 'the retry cleared the earlier verdict').not.toContain('rollback-altboot-triggered');
  });
}
