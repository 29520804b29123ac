// @hup @1x: every 1.x source → every newer 1.x target (images/releases.yaml) through upgrade-1.x.sh,
// which runs the secondary updater (Python) chrooted in the resinhup image pulled from a real registry.
// Per path: the active root flips between resin-root and resin-updt, os-release is the target, the
// 1.x layout is kept, resin-data bit for bit, config.json migrated between the two releases, the
// target's supervisor and the app run again; a second run answers 3 (already there) and changes nothing.
// And the fingerprint check: a modified file in /etc stops the update (named, device unchanged) unless
// --force; an update that switched the boot settings but did not reboot makes the next run ask for
// the reboot (secondary exit 2), after which the device is at the target (exit 3).
import {
  test,
  pathTiming,
  expect,
  loadPaths1x,
  runUpdate,
  bootSource,
  describeRun,
  dataChecksums,
  stableState,
  migrationTimeoutMs,
  expectSupervisorAndAppRunning,
  type HupRun,
  type Device,
  type ScenarioContext,
  type UpgradePath,
  type DeviceState,
  recordTestData,
  pathRecord,
  bandwidthRecord,
  measureUpdate,
  type UpdateMeter,
  stateAndChecksums,
} from '../harness/index.ts';

const paths = await loadPaths1x();
const newest = paths.at(-1);
const PHASES_TO_SECONDARY = ['checks', 'stop-services', 'supervisor', 'resinhup', 'version'];
const FULL_PHASES = [
  ...PHASES_TO_SECONDARY,
  'fingerprint',
  'pull',
  'export',
  'boot-files',
  'data-migrations',
  'switch-boot',
  'finish',
  'reboot',
];
/** Keys a 1.x config.json of the older releases carries that the newer ones dropped. */
const LEGACY_KEYS = { pubnubSubscribeKey: 'sub-c-hupbench', pubnubPublishKey: 'pub-c-hupbench' };

/** config.json as upgrade-1.x.sh leaves it: the secondary's migrations, then the target's supervisor. */
function expectedConfig(before: Record<string, unknown>, path: UpgradePath): Record<string, unknown> {
  const after: Record<string, unknown> = { ...before };
  delete after.pubnubSubscribeKey;
  delete after.pubnubPublishKey;
  if (!('persistentLogging' in after)) after.persistentLogging = false;
  if (path.supervisorUpdate)
    after.supervisorImage = String(before.supervisorImage).replace(/:v[^:]+$/, `:v${path.to.supervisor}`);
  return after;
}

async function readConfig(device: Device): Promise<Record<string, unknown>> {
  return JSON.parse(await device.check('cat /mnt/boot/config.json')) as Record<string, unknown>;
}

/** The source as this suite needs it: a 1.x device with the config.json keys its release carried. */
function bootSource1x(scenario: ScenarioContext, path: UpgradePath) {
  return bootSource(scenario, path, { configOverrides: LEGACY_KEYS });
}

function run1x(scenario: ScenarioContext, path: UpgradePath, extra: string[] = []): Promise<HupRun> {
  return runUpdate(scenario, path, { extraArgs: extra });
}

const tail = (r: HupRun) => r.output.split('\n').slice(-25).join('\n');
const phaseNames = (r: HupRun) => r.phases.map((p) => p.name);

for (const path of paths) {
  // `npm test` (CI) runs the newest 1.x → 1.x path on every rig: the resinhup image end to end.
  test(
    `1.x → 1.x: ${path.name}`,
    { tag: ['@hup', '@1x', ...(path === newest ? ['@smoke'] : [])] },
    async ({ rig, device, scenario }, testInfo) => {
      test.setTimeout(migrationTimeoutMs(rig) * 2);
      await recordTestData(testInfo, 'path', pathRecord(path));
      const wallStarted = Date.now();
      const source = await bootSource1x(scenario, path);
      const { before, sums: sumsBefore } = source;
      const configBefore = await readConfig(device);
      await test.step(`the device runs ${path.from.version} from resin-root`, async () => {
        expect(before).toHaveLayout('1.x');
        expect(before).toBootFrom('resin-root');
        expect(before).toSelectRoot(2);
        expect(before.osRelease.VERSION).toBe(path.from.version);
        expect(configBefore).toMatchObject(LEGACY_KEYS);
      });

      const meter = await measureUpdate(scenario, path);
      const run = await run1x(scenario, path);
      await recordTestData(testInfo, 'bandwidth', bandwidthRecord(run, undefined, await meter.read(run, false)));
      await testInfo.attach('updater.log', { body: run.log, contentType: 'text/plain' });
      await testInfo.attach('phases.json', {
        body: JSON.stringify(run.phases, null, 2),
        contentType: 'application/json',
      });
      expect(run.exitCode, `upgrade-1.x.sh ${describeRun(run)}\n${tail(run)}`).toBe(0);
      expect(phaseNames(run)).toEqual(FULL_PHASES);
      expect(run.reboots, 'the update rebooted the device once').toBe(1);
      expect(run.log).toMatch(/fingerprint check passed/);
      expect(run.log).toMatch(/every file matches its fingerprint/);

      await expectUpdated1x(scenario, path, before, sumsBefore, testInfo);
      await expectConfigMigrated(device, path, configBefore, run, testInfo);
      const servicesStarted = Date.now();
      await expectServicesAndPulls(scenario, path, run, meter, testInfo);
      // The services coming up after the reboot are the device's own work, not harness overhead.
      const timing = pathTiming(wallStarted, source.started, run, Date.now() - servicesStarted);
      await recordTestData(testInfo, 'timing', timing);
      await expectSecondRunChangesNothing(scenario, path, testInfo);
    },
  );
}

async function expectUpdated1x(
  { board }: ScenarioContext,
  path: UpgradePath,
  before: DeviceState,
  sumsBefore: Record<string, string>,
  testInfo: ReturnType<typeof test.info>,
) {
  const { device, rig } = board;
  const after = await device.snapshot();
  await testInfo.attach('device-state.json', {
    body: JSON.stringify({ before, after }, null, 2),
    contentType: 'application/json',
  });
  await test.step(`${path.to.version} boots from resin-updt; the 1.x layout is kept`, async () => {
    expect(after).toHaveLayout('1.x');
    expect(after).toBootFrom('resin-updt');
    expect(after).toSelectRoot(3);
    expect(after.bootSelects.file).toBe(rig.deviceType === 'raspberrypi3-64' ? 'cmdline.txt' : 'uEnv.txt');
    expect(after.osRelease.VERSION).toBe(path.to.version);
    expect(stableState(after).partitions, 'partition table, labels and filesystems unchanged').toEqual(
      stableState(before).partitions,
    );
  });
  await test.step('resin-data kept bit for bit', async () => {
    expect(await dataChecksums(device)).toEqual(sumsBefore);
  });
}

async function expectConfigMigrated(
  device: Device,
  path: UpgradePath,
  configBefore: Record<string, unknown>,
  run: HupRun,
  testInfo: ReturnType<typeof test.info>,
) {
  await test.step(`config.json migrated from ${path.from.version} to ${path.to.version}`, async () => {
    const configAfter = await readConfig(device);
    await testInfo.attach('config.json', {
      body: JSON.stringify({ before: configBefore, after: configAfter }, null, 2),
      contentType: 'application/json',
    });
    expect(configAfter).toEqual(expectedConfig(configBefore, path));
    expect(run.log).toMatch(/config\.json migrated \(1\.27\.0: removed pubnubSubscribeKey, pubnubPublishKey/);
  });
}

async function expectServicesAndPulls(
  { board }: ScenarioContext,
  path: UpgradePath,
  run: HupRun,
  meter: UpdateMeter,
  testInfo: ReturnType<typeof test.info>,
) {
  await test.step(`the supervisor v${path.to.supervisor} and the app run on ${path.to.version}`, async () => {
    await expectSupervisorAndAppRunning(board.device, path.to.supervisor);
    const update = await meter.read(run, true);
    await recordTestData(testInfo, 'bandwidth', bandwidthRecord(run, undefined, update));
    expect(Object.keys(update.components)).toEqual(expect.arrayContaining(['hostOS', 'resinhup']));
  });
}

async function expectSecondRunChangesNothing(
  scenario: ScenarioContext,
  path: UpgradePath,
  testInfo: ReturnType<typeof test.info>,
) {
  const { device } = scenario.board;
  await test.step('a second run answers 3 (already at the version) and changes nothing', async () => {
    const settled = await device.snapshot();
    const again = await run1x(scenario, path);
    await testInfo.attach('updater-second-run.log', { body: again.log, contentType: 'text/plain' });
    expect(again.exitCode, `second run ${describeRun(again)}\n${tail(again)}`).toBe(3);
    expect(phaseNames(again)).toEqual(PHASES_TO_SECONDARY);
    expect(again.output).toMatch(new RegExp(`already at ${path.to.version.replace(/[.+]/g, '\\$&')}`));
    expect(again.reboots).toBe(0);
    expect(stableState(await device.snapshot())).toEqual(stableState(settled));
    await expectSupervisorAndAppRunning(device, path.to.supervisor);
  });
}

test(
  `1.x → 1.x fingerprint: a modified /etc file stops the update; --force updates; a run after an unrebooted update asks for the reboot (${newest?.name})`,
  { tag: ['@hup', '@1x'] },
  async ({ rig, device, scenario }, testInfo) => {
    test.skip(!newest, 'images/releases.yaml has no 1.x → 1.x path');
    const path = newest!;
    test.setTimeout(migrationTimeoutMs(rig) * 3);
    await bootSource1x(scenario, path);
    await test.step('change /etc/profile (a file of the image) and /etc/hostname (device-specific, allowed)', async () => {
      // The 1.x root is mounted read-only by the initramfs; a user changing it remounts it first.
      await device.check(
        "mount -o remount,rw / && echo '# local change' >> /etc/profile && echo my-device > /etc/hostname && sync && mount -o remount,ro /",
      );
    });
    const { state: before, sums: sumsBefore } = await stateAndChecksums(device);
    const configBefore = await readConfig(device);

    const refused = await run1x(scenario, path);
    await testInfo.attach('updater-refused.log', { body: refused.log, contentType: 'text/plain' });
    await test.step('refused at the fingerprint check, naming the file; the device is unchanged', async () => {
      expect(refused.exitCode, `${describeRun(refused)}\n${tail(refused)}`).toBe(1);
      expect(phaseNames(refused)).toEqual([...PHASES_TO_SECONDARY, 'fingerprint']);
      expect(refused.error).toMatch(/fingerprint check failed: 1 file\(s\).*\/etc\/profile \(modified\)/);
      expect(refused.error).toMatch(/--force/);
      expect(refused.error).not.toMatch(/\/etc\/hostname/);
      expect(refused.log).toMatch(/\/etc\/hostname modified \(allowed/);
      expect(refused.reboots).toBe(0);
      expect(stableState(await device.snapshot())).toEqual(stableState(before));
      expect(await readConfig(device)).toEqual(configBefore);
      await expectSupervisorAndAppRunning(device, path.from.supervisor);
    });

    const forced = await run1x(scenario, path, ['--force', '--no-reboot']);
    await testInfo.attach('updater-forced.log', { body: forced.log, contentType: 'text/plain' });
    await test.step('--force: the update goes ahead and warns what is not carried over (here without its reboot)', async () => {
      expect(forced.exitCode, `${describeRun(forced)}\n${tail(forced)}`).toBe(0);
      expect(phaseNames(forced)).toEqual(FULL_PHASES.filter((p) => p !== 'reboot'));
      expect(forced.log).toMatch(
        /warning: fingerprint check found 1 changed file\(s\): \/etc\/profile \(modified\); updating anyway \(--force\)/,
      );
      const switched = await device.snapshot();
      expect(switched).toBootFrom('resin-root');
      expect(switched).toSelectRoot(3);
    });

    const resumed = await run1x(scenario, path);
    await testInfo.attach('updater-after-no-reboot.log', {
      body: [resumed.preStep?.log, resumed.log].filter(Boolean).join('\n\n--- rerun ---\n\n'),
      contentType: 'text/plain',
    });
    await test.step('the next run asks for the reboot (secondary exit 2); after it the device is at the target (exit 3)', async () => {
      const pre = resumed.preStep;
      expect(pre, `the updater asked for a rerun; it said:\n${tail(resumed)}`).toBeDefined();
      expect(pre!.exitCode).toBe(0);
      expect(phaseNames(pre!)).toEqual([...PHASES_TO_SECONDARY, 'reboot']);
      expect(pre!.output).toMatch(
        /the boot settings select partition 3 \(resinOS [^)]+\) but the device runs partition 2/,
      );
      expect(pre!.reboots).toBe(1);
      expect(resumed.exitCode, `rerun ${describeRun(resumed)}\n${tail(resumed)}`).toBe(3);
    });

    const after = await device.snapshot();
    await testInfo.attach('device-state.json', {
      body: JSON.stringify({ before, after }, null, 2),
      contentType: 'application/json',
    });
    await test.step(`${path.to.version} runs from resin-updt; the local change to /etc/profile is gone; data and config migrated`, async () => {
      expect(after).toBootFrom('resin-updt');
      expect(after.osRelease.VERSION).toBe(path.to.version);
      expect((await device.check('grep -c "# local change" /etc/profile || true')).trim()).toBe('0');
      expect(await dataChecksums(device)).toEqual(sumsBefore);
      expect(await readConfig(device)).toEqual(expectedConfig(configBefore, path));
      await expectSupervisorAndAppRunning(device, path.to.supervisor);
    });
  },
);
