// @hup @2x: every 2.x source → every newer 2.x target (images/releases.yaml), through upgrade-2.x.sh
// and a real registry. Per path: the active root flips, os-release is the target, the layout and
// labels are unchanged, resin-data is kept byte for byte, the app kept running until the reboot,
// the supervisor is at the target's version when the target ships a newer one, and the updater left
// `upgrade_available=1` and both rollback breadcrumbs for the rollback services.
// After the reboot, U-Boot counts the trial boot and rollback-health (its window compressed to
// seconds) keeps the update: breadcrumbs cleared, `upgrade_available=0`.
import {
  test,
  pathTiming,
  expect,
  loadPaths2x,
  runUpdate,
  describeRun,
  bootSource,
  dataChecksums,
  heartbeats,
  maxGap,
  appDowntime,
  stableState,
  type HupRun,
  type Rig,
  type Device,
  type DeviceState,
  type UpgradePath,
  recordTestData,
  pathRecord,
  expectHealthKeepsUpdate,
  bandwidthRecord,
  measureUpdate,
  expectSupervisorAndAppRunning,
  spareRoot,
  imagePullAllowanceMs,
} from '../harness/index.ts';

const paths = await loadPaths2x();
// `npm test` (CI) runs the update a fleet would take next (the newest target from the newest source
// below it) on every rig; `npm run hil` runs every path.
const smokePath = paths.filter((p) => p.to.version === paths.at(-1)?.to.version).at(-1);
/** Longest pause of the app's heartbeat during the update that counts as a write stall, not downtime. */
const APP_IO_STALL_S = 10;

for (const path of paths) {
  const tags = ['@hup', '@2x', ...(path === smokePath ? ['@smoke'] : [])];
  test(`2.x → 2.x: ${path.name}`, { tag: tags }, async ({ rig, device, scenario }, testInfo) => {
    // A path is a handful of boots plus the update: scale with the rig's boot timeout (the Pi is slow).
    test.setTimeout(rig.config.bootTimeoutSeconds * 1000 * 6 + imagePullAllowanceMs(rig));
    const wallStarted = Date.now();
    await recordTestData(testInfo, 'path', pathRecord(path));

    const { started: start, before, sums: sumsBefore } = await bootSource(scenario, path);
    expect(before.osRelease.VERSION).toBe(path.from.version);
    const deviceStart = Number((await device.check('date +%s')).trim());

    const meter = await measureUpdate(scenario, path);
    const run: HupRun = await runUpdate(scenario, path);
    await testInfo.attach('updater.log', { body: run.log, contentType: 'text/plain' });
    await testInfo.attach('phases.json', {
      body: JSON.stringify(run.phases, null, 2),
      contentType: 'application/json',
    });
    // Recorded now (what the update cost so far) and again once the device settled on the new OS.
    await recordTestData(testInfo, 'bandwidth', bandwidthRecord(run, undefined, await meter.read(run, false)));

    expect(run.exitCode, `${path.updater} ${describeRun(run)}\n${run.output.split('\n').slice(-15).join('\n')}`).toBe(
      0,
    );
    expect(run.reboots, 'the update rebooted the device exactly once').toBe(1);

    const after = await device.snapshot();
    await testInfo.attach('device-state.json', {
      body: JSON.stringify({ before, after }, null, 2),
      contentType: 'application/json',
    });
    const spare = spareRoot(before).label;
    const updated: Updated = {
      rig,
      device,
      path,
      before,
      after,
      spare,
      sparePart: spare === 'resin-rootA' ? '2' : '3',
    };

    await expectOnNewRoot(updated);
    await test.step('resin-data kept byte for byte', async () => {
      expect(await dataChecksums(device)).toEqual(sumsBefore);
    });
    const servicesStarted = Date.now();
    const appBackAt = await expectServicesBack(updated);
    await recordTestData(testInfo, 'bandwidth', bandwidthRecord(run, undefined, await meter.read(run, true)));
    await expectOnlyRebootDowntime(device, run, deviceStart, appBackAt);
    const verdictStarted = Date.now();
    await expectHealthKept(updated);

    // The device's own work after its reboot — its supervisor and app coming back (the 1.x → 2.x suite
    // counts its first boot's pulls the same way) and rollback-health's window — is not harness overhead.
    const deviceWorkMs = appBackAt - servicesStarted + (Date.now() - verdictStarted);
    const timing = pathTiming(wallStarted, start, run, deviceWorkMs);
    await recordTestData(testInfo, 'timing', timing);
  });
}

/** A device after a 2.x → 2.x update, with what the test knows about it. */
interface Updated {
  rig: Rig;
  device: Device;
  path: UpgradePath;
  before: DeviceState;
  after: DeviceState;
  spare: string;
  /** The spare root's partition number, as resinOS_uEnv.txt writes it. */
  sparePart: string;
}

async function expectOnNewRoot({ rig, device, path, before, after, spare, sparePart }: Updated) {
  await test.step('the new OS runs from the other root', async () => {
    expect(after).toBootFrom(spare);
    expect(after.osRelease.VERSION, 'os-release of the running OS is the target version').toBe(path.to.version);
    expect(after.osRelease.MACHINE).toBe(rig.deviceType);
    expect(after, 'the root is the image, not a container of it').toHoldTheImagesOwnRootFiles(before);
  });

  await test.step('partition table and labels unchanged', async () => {
    expect(after).toHaveLayout('2.x');
    expect(stableState(after).partitions).toEqual(stableState(before).partitions);
  });

  await test.step('boot environment and breadcrumbs as the updater leaves them', async () => {
    // Note: what the device says about its boot partition is asked over SSH only to explain a wrong setting.
    const deviceSays = async () => {
      const mounts = await device.exec(
        'grep /mnt /proc/mounts; ls -la /mnt/boot | head; dmesg | grep -i -E "fat|mount" | tail -5',
      );
      const boot = rig.console
        .transcript()
        .split('\n')
        .filter((l) => /\[(mounts|supervisor|rcS)\]/.test(l));
      return `; device says:\n${mounts.stdout}\n${boot.slice(-10).join('\n')}`;
    };
    const wrong = after.bootEnv.resin_root_part !== sparePart;
    expect(after.bootEnv.resin_root_part, `resinOS_uEnv.txt after the update${wrong ? await deviceSays() : ''}`).toBe(
      sparePart,
    );
    expect(after.bootEnv.upgrade_available).toBe('1');
    expect(after.stateFiles).toEqual(
      expect.arrayContaining(['rollback-health-breadcrumb', 'rollback-altboot-breadcrumb']),
    );
  });
}

async function expectServicesBack({ device, path }: Updated): Promise<number> {
  return test.step('the supervisor and the app run again', async () => {
    const wantSupervisor = path.supervisorUpdate ? path.to.supervisor : path.from.supervisor;
    await expectSupervisorAndAppRunning(device, wantSupervisor, { timeoutMs: 180_000, when: 'after the reboot' });
    return Date.now();
  });
}

async function expectOnlyRebootDowntime(device: Device, run: HupRun, deviceStart: number, appBackAt: number) {
  await test.step("the app's only downtime was the reboot", async () => {
    const beats = await heartbeats(device);
    const { gap, at } = maxGap(beats, deviceStart);
    const updaterEndDevice = deviceStart + run.durationMs / 1000;
    const rebootWindowS = (appBackAt - run.exitedAt) / 1000;
    test.info().annotations.push({
      type: 'downtime',
      description: `heartbeat gap ${gap}s; updater exit → app back ${rebootWindowS.toFixed(1)}s; reboot to login ${((run.rebootMs ?? 0) / 1000).toFixed(1)}s`,
    });
    const beforeReboot = appDowntime(beats, run.deviceTicks, deviceStart, updaterEndDevice - 3);
    if (beforeReboot.deviceStall > 3)
      test.info().annotations.push({
        type: 'device-stall',
        description: `the whole device was silent for ${beforeReboot.deviceStall}s during the update (its in-RAM ticker too): not counted as app downtime`,
      });
    if (beforeReboot.gap > 3)
      test.info().annotations.push({
        type: 'app-io-stall',
        description: `the app's heartbeat (written to resin-data) paused ${beforeReboot.gap}s while the device itself ran on: its writes queued behind the updater's on the same card`,
      });
    // Note: an app the updater stopped stays down until the reboot (the supervisor is stopped too),
    // far longer than this; shorter pauses are the app's own writes waiting for a busy SD card.
    expect(
      beforeReboot.gap,
      `the app kept its heartbeat while the updater stopped the supervisor, pulled and exported (device-wide silences excluded; write stalls up to ${APP_IO_STALL_S}s allowed)`,
    ).toBeLessThanOrEqual(APP_IO_STALL_S);
    expect(at ?? 0, 'the largest heartbeat gap starts at the reboot, not during the update').toBeGreaterThanOrEqual(
      updaterEndDevice - 4,
    );
    expect(gap, 'the heartbeat gap is no longer than the reboot').toBeLessThanOrEqual(rebootWindowS + 3);
  });
}

async function expectHealthKept({ rig, device, sparePart }: Updated) {
  await test.step('U-Boot counted the trial boot; rollback-health kept the update', async () => {
    const trialBoot = rig.console.bootEvents.events.filter((e) => e.kind === 'bootcount').at(-1);
    expect(trialBoot?.line, 'U-Boot printed bootcount=1 on the first boot of the new OS').toMatch(/bootcount=1\b/);
    await expectHealthKeepsUpdate(device, sparePart);
    expect(
      await device.exec('test -e /mnt/boot/bootcount.env'),
      'bootcount.env removed when the trial ended',
    ).toMatchObject({ exitCode: 1 });
  });
}
