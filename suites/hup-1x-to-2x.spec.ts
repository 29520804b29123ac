// @hup @1x-2x: every 1.x source → every 2.x target a 1.x device may migrate to (`from1x` in
// images/releases.yaml), through upgrade-1.x-to-2.x.sh, the tools image and a real registry.
// Per path: the card starts in the 1.x layout (btrfs resin-data seeded on the host, WiFi in
// config.json, supervisor and app running) and ends in the 2.x geometry (the table rewritten: larger
// roots, resin-state and resin-data further in) booting the target from
// resin-rootB; resin-data is restored bit for bit; the WiFi settings are NetworkManager keyfiles;
// the first 2.x boot pulls the supervisor (the target's version) and the app, and the app runs again.
// And the pre-step: a 1.x device running from resin-updt is moved to resin-root and the updater rerun.
import {
  test,
  pathTiming,
  expect,
  loadPaths1xTo2x,
  runUpdate,
  bootSource,
  type ScenarioContext,
  describeRun,
  dataChecksums,
  expectSupervisorAndAppRunning,
  with1xRootOnP3,
  labWifiNetworks,
  expectedKeyfiles,
  readKeyfiles,
  migrationTimeoutMs,
  MiB,
  type HupRun,
  type UpgradePath,
  type DeviceState,
  recordTestData,
  pathRecord,
  bandwidthRecord,
  measureUpdate,
  type UpdateMeter,
  cardEndSector,
  deviceGeometry,
  layoutGeometry,
} from '../harness/index.ts';

const paths = await loadPaths1xTo2x();
const SEED_MB = 24;

/** The migration of one path from a given (seeded) card; asserts everything the suite promises. */
async function migrate(opts: {
  scenario: ScenarioContext;
  path: UpgradePath;
  /** Edits the source card before it is seeded and flashed (e.g. a device running from resin-updt). */
  card?: (image: string) => Promise<string>;
  expectPreStep: boolean;
  testInfo: ReturnType<typeof test.info>;
}) {
  const { scenario, path, testInfo } = opts;
  const { rig, device } = scenario.board;
  const wallStarted = Date.now();
  await recordTestData(testInfo, 'path', pathRecord(path, opts.expectPreStep ? 'from resin-updt' : undefined));
  const booted = await bootSource(scenario, path, { seedMB: SEED_MB, seedFileBytes: 8 * MiB, card: opts.card });
  const { started: start, before, sums: sumsBefore } = booted;
  const seeded = booted.seeded!;
  await test.step('the device starts as 1.x with the seed in btrfs resin-data', async () => {
    expect(before).toHaveLayout('1.x');
    expect(before.osRelease.VERSION).toBe(path.from.version);
    const root = opts.expectPreStep ? 3 : 2;
    expect(before).toBootFrom(root === 3 ? 'resin-updt' : 'resin-root');
    expect(before).toSelectRoot(root);
    expect(before.bootSelects.file).toBe(rig.deviceType === 'raspberrypi3-64' ? 'cmdline.txt' : 'uEnv.txt');
    expect(sumsBefore, 'the seeded files, read on the device, match the checksums recorded on the host').toMatchObject(
      seeded.checksums,
    );
  });

  const meter = await measureUpdate(scenario, path);
  const run: HupRun = await runUpdate(scenario, path, { seedMB: SEED_MB });
  await recordTestData(testInfo, 'bandwidth', bandwidthRecord(run, undefined, await meter.read(run, false)));
  await testInfo.attach('updater.log', {
    body: [run.preStep?.log, run.log].filter(Boolean).join('\n\n--- rerun ---\n\n'),
    contentType: 'text/plain',
  });
  await testInfo.attach('phases.json', {
    body: JSON.stringify({ preStep: run.preStep?.phases, run: run.phases }, null, 2),
    contentType: 'application/json',
  });
  await expectMigrationRan(run, opts.expectPreStep);

  const after: DeviceState = await device.snapshot();
  await testInfo.attach('device-state.json', {
    body: JSON.stringify({ before, after }, null, 2),
    contentType: 'application/json',
  });

  await expectTwoXLayout(rig.deviceType, path, before, after);
  expect(after, 'the root is the image, not a container of it').toHoldTheImagesOwnRootFiles(before);

  await test.step('resin-data restored bit for bit', async () => {
    expect(await dataChecksums(device)).toEqual(sumsBefore);
    expect(run.log).toMatch(/backup verified: [\d.]+ MB compressed from [\d.]+ MB/);
  });

  await test.step('WiFi settings are NetworkManager keyfiles matching the old config.json', async () => {
    expect(await readKeyfiles(device)).toEqual(expectedKeyfiles(labWifiNetworks));
  });

  const firstBootWorkStarted = Date.now();
  await expectFirstBootPulls(scenario, path, run, meter, testInfo);
  // The first 2.x boot pulling the supervisor and the app is the device's own work, not overhead.
  const timing = pathTiming(wallStarted, start, run, Date.now() - firstBootWorkStarted);
  await recordTestData(testInfo, 'timing', timing);
}

for (const path of paths) {
  // The newest path is the smoke test of the class (`npm test`).
  test(
    `1.x → 2.x: ${path.name}`,
    { tag: ['@hup', '@1x-2x', ...(path === paths.at(-1) ? ['@smoke'] : [])] },
    async ({ rig, scenario }, testInfo) => {
      test.setTimeout(migrationTimeoutMs(rig, SEED_MB) * 2);
      await migrate({ scenario, path, expectPreStep: false, testInfo });
    },
  );
}

const newest = paths.at(-1);
test(
  `1.x → 2.x from resin-updt: the pre-step moves the OS to resin-root first (${newest?.name})`,
  { tag: ['@hup', '@1x-2x'] },
  async ({ rig, scenario }, testInfo) => {
    test.skip(!newest, 'images/releases.yaml has no 1.x → 2.x path');
    test.setTimeout(migrationTimeoutMs(rig, SEED_MB) * 3);
    await migrate({ scenario, path: newest!, card: with1xRootOnP3, expectPreStep: true, testInfo });
  },
);

const tail = (r: HupRun) => r.output.split('\n').slice(-20).join('\n');

/** The updater's run: its pre-step when the device ran from resin-updt, then every phase, one reboot. */
async function expectMigrationRan(run: HupRun, expectPreStep: boolean) {
  if (expectPreStep) {
    await test.step('the pre-step moved the OS to resin-root and the updater ran again', async () => {
      const pre = run.preStep;
      expect(pre, `the updater asked for a rerun after its pre-step; it said:\n${tail(run)}`).toBeDefined();
      expect(pre!.exitCode, `pre-step ${describeRun(pre!)}\n${tail(pre!)}`).toBe(0);
      expect(pre!.phases.map((p) => p.name)).toEqual(['checks', 'stop-app', 'copy-root', 'switch-boot', 'reboot']);
      expect(pre!.output).toMatch(/copied and verified: \d+ files identical/);
      expect(pre!.reboots, 'the pre-step rebooted once').toBe(1);
      expect(run.output, 'the rerun found the device on resin-root').toMatch(/active root \S*2 \(partition 2\)/);
    });
  }
  expect(run.exitCode, `upgrade-1.x-to-2.x.sh ${describeRun(run)}\n${tail(run)}`).toBe(0);
  expect(run.phases.map((p) => p.name)).toEqual([
    'checks',
    'stop-services',
    'remove-containers',
    'tools',
    'pull',
    'stage',
    'backup',
    'layout',
    'format',
    'restore',
    'repartition',
    'populate',
    'boot-files',
    'wifi',
    'supervisor',
    'switch-boot',
    'reboot',
  ]);
  expect(run.reboots, 'the migration rebooted the device once').toBe(1);
}

async function expectTwoXLayout(deviceType: string, path: UpgradePath, before: DeviceState, after: DeviceState) {
  await test.step('the table was rewritten to the 2.x geometry: starts, sizes, labels, filesystems', async () => {
    expect(after).toHaveLayout('2.x');
    // The table was rewritten: every partition where the 2.x layout places it (start and size), resin-data
    // to the card's end (on a card larger than the image, further than before, as resinhup's parted
    // 100%), each with its 2.x label and filesystem.
    const end = after.cardSectors ?? cardEndSector(before);
    expect(deviceGeometry(before), 'the 1.x geometry before').toEqual(layoutGeometry('1.x', cardEndSector(before)));
    expect(deviceGeometry(after), 'the 2.x geometry after').toEqual(layoutGeometry('2.x', end));
    expect(cardEndSector(after), 'resin-data runs to the end of the card').toBe(end);
    expect(after.partitions.filter((p) => p.number !== 4).map(({ label, fs }) => ({ label, fs }))).toEqual([
      { label: 'resin-boot', fs: 'vfat' },
      { label: 'resin-rootA', fs: 'ext4' },
      { label: 'resin-rootB', fs: 'ext4' },
      { label: 'resin-state', fs: 'ext4' },
      { label: 'resin-data', fs: 'ext4' },
    ]);
  });

  await test.step(`the target ${path.to.version} boots from resin-rootB with the 2.x boot settings`, async () => {
    expect(after).toBootFrom('resin-rootB');
    expect(after.osRelease.VERSION).toBe(path.to.version);
    expect(after.osRelease.RESIN_LAYOUT).toBe('2.x');
    expect(after.bootEnv).toEqual({ resin_root_part: '3', upgrade_available: '0' });
    expect(after.bootSelects).toEqual({ file: 'resinOS_uEnv.txt', partition: 3 });
    expect(after.legacyBoot.uEnv, '1.x uEnv.txt removed').toEqual({});
    expect(after.legacyBoot.cmdline, '1.x cmdline.txt removed').toBeUndefined();
    expect(Object.keys(after.bootFiles)).toContain('./boot.scr');
    if (deviceType === 'raspberrypi3-64')
      expect(after.legacyBoot.configTxt.kernel, 'the firmware boots U-Boot now').toBe('u-boot.bin');
  });
}

async function expectFirstBootPulls(
  { board }: ScenarioContext,
  path: UpgradePath,
  run: HupRun,
  meter: UpdateMeter,
  testInfo: ReturnType<typeof test.info>,
) {
  const { device } = board;
  await test.step('the first 2.x boot pulled the supervisor and the app; the app runs again', async () => {
    await expectSupervisorAndAppRunning(device, path.to.supervisor, { when: 'on the first 2.x boot' });
    const update = await meter.read(run, true);
    await recordTestData(testInfo, 'bandwidth', bandwidthRecord(run, undefined, update));
    expect(Object.keys(update.components), 'pulled from the registry since the updater started').toEqual(
      expect.arrayContaining(['hostOS', 'tools', 'supervisor', 'app']),
    );
  });
}
