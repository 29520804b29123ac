// @data-limit: the ~170 MB backup cap of the 1.x → 2.x migration (upgrade-1.x-to-2.x.sh backs
// resin-data up, zstd-compressed, onto the 1.x spare root beside the staged 2.x OS and a copy of its
// tools, before it rewrites the partition table: the cap is what those two leave). Seeded on the host
// into btrfs resin-data:
//   - incompressible data comfortably under the cap: migrated, bit for bit;
//   - incompressible data over the cap: refused before the partition table, resin-conf or resin-data
//     are touched, with a message naming the size and the cap; the device as it was (table, labels,
//     boot settings and files, active root, every data checksum), the supervisor and the app running;
//   - compressible data far over the cap raw that fits once compressed: migrated, bit for bit.
// The cap itself (the largest incompressible set that passes) is measured by bench/data-cap.ts.
import {
  test,
  expect,
  loadPaths1xTo2x,
  runUpdate,
  bootSource,
  describeRun,
  dataChecksums,
  migrationTimeoutMs,
  type DataSeed,
  type HupRun,
  type Device,
  type DeviceState,
  expectSupervisorAndAppRunning,
  recordTestData,
  pathRecord,
  capReportedMB,
  backupMB as backupReportedMB,
  expectCapRefusal,
} from '../harness/index.ts';

const path = (await loadPaths1xTo2x()).at(-1);
const MB = 1_000_000;

const cases: Array<{ title: string; seed: DataSeed; fits: boolean }> = [
  {
    title: 'incompressible data comfortably under the cap is migrated bit for bit',
    seed: { kind: 'incompressible', totalBytes: 120 * MB },
    fits: true,
  },
  {
    title: 'incompressible data over the cap is refused before anything is touched',
    seed: { kind: 'incompressible', totalBytes: 200 * MB },
    fits: false,
  },
  {
    title: 'compressible data far over the cap raw that fits compressed is migrated bit for bit',
    seed: { kind: 'compressible', totalBytes: 300 * MB },
    fits: true,
  },
];

for (const c of cases) {
  test(
    `data limit: ${c.title} (${c.seed.totalBytes / MB} MB ${c.seed.kind})`,
    { tag: ['@hup', '@1x-2x', '@data-limit'] },
    async ({ rig, device, scenario }, testInfo) => {
      test.skip(!path, 'images/releases.yaml has no 1.x → 2.x path');
      const dataMB = c.seed.totalBytes / MB;
      test.setTimeout(migrationTimeoutMs(rig, dataMB) * 2);
      await recordTestData(testInfo, 'path', pathRecord(path!));

      const booted = await bootSource(scenario, path!, { seed: c.seed });
      const { before, sums: sumsBefore } = booted;
      const seeded = booted.seeded!;
      expect(sumsBefore, 'the seed as read on the device matches the checksums recorded on the host').toMatchObject(
        seeded.checksums,
      );

      const run: HupRun = await runUpdate(scenario, path!, { seedMB: dataMB });
      await testInfo.attach('updater.log', { body: run.log, contentType: 'text/plain' });
      const capMB = capReportedMB(run);
      const backupMB = backupReportedMB(run);
      await recordTestData(testInfo, 'data-limit', {
        seedKind: c.seed.kind,
        dataMB,
        capMB: Number.isFinite(capMB) ? capMB : undefined,
        backupMB,
        fits: c.fits,
        exitCode: run.exitCode,
        updaterMs: run.durationMs,
      });
      const facts: Facts = { device, dataMB, capMB, backupMB, sumsBefore, before, run, seed: c.seed };
      if (c.fits) await expectMigrated(facts);
      else await expectRefusedUnchanged(facts, testInfo);
    },
  );
}

/** What a data-limit test knows after the updater ran. */
interface Facts {
  device: Device;
  dataMB: number;
  capMB: number;
  backupMB?: number;
  sumsBefore: Record<string, string>;
  before: DeviceState;
  run: HupRun;
  seed: DataSeed;
}

const tailOf = (run: HupRun) => run.output.split('\n').slice(-20).join('\n');

/** Under the cap: the migration completes with the data restored and the app running on 2.x. */
async function expectMigrated({ device, run, capMB, backupMB, sumsBefore, seed }: Facts) {
  const tail = tailOf(run);
  expect(run.exitCode, `upgrade-1.x-to-2.x.sh ${describeRun(run)}\n${tail}`).toBe(0);
  const after = await device.snapshot();
  await test.step('the device runs the target in the 2.x layout', async () => {
    expect(after).toHaveLayout('2.x');
    expect(after).toBootFrom('resin-rootB');
    expect(after.osRelease.VERSION).toBe(path!.to.version);
  });
  await test.step('resin-data restored bit for bit', async () => {
    expect(await dataChecksums(device)).toEqual(sumsBefore);
    if (seed.kind === 'compressible')
      expect(backupMB, 'the backup is smaller than the cap only because it compressed').toBeLessThan(capMB);
  });
  // The first 2.x boot pulls the supervisor and the app into an empty store: the services budget
  // (the rig's pull rate), not a fixed 240 s, which the real engine's 53 MB supervisor outlasts.
  await test.step('the supervisor and the app run again on 2.x', async () => {
    await expectSupervisorAndAppRunning(device, path!.to.supervisor, { when: 'on 2.x after the migration' });
  });
}

/** Over the cap: refused in the backup phase, the device exactly as it was, its services running again. */
async function expectRefusedUnchanged(
  { device, run, dataMB, sumsBefore, before }: Facts,
  testInfo: ReturnType<typeof test.info>,
) {
  await expectCapRefusal(run, dataMB);
  await test.step('the device is as it was: table, labels, boot settings and files, active root, every data checksum', async () => {
    const after = await device.snapshot();
    await testInfo.attach('device-state.json', {
      body: JSON.stringify({ before, after }, null, 2),
      contentType: 'application/json',
    });
    expect(after).toBeUnchangedFrom(before);
    expect(after).toHaveLayout('1.x');
    expect(await dataChecksums(device)).toEqual(sumsBefore);
  });
  await expectSupervisorAndAppRunning(device, path!.from.supervisor, { when: 'after the refusal' });
}
