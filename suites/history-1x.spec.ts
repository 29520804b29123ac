// @history on 1.x devices, after a refusal: the update is refused for something on the device, the
// operator fixes it, the update runs again on the same device (suites/history.spec.ts has the 2.x
// histories and says what every step asserts):
//   - a fingerprint refusal on 1.x → 1.x (a file of the image changed), the file restored, the update;
//   - the 1.x → 2.x migration refused over the ~170 MB backup cap, data moved off until what remains is
//     under the cap the refusal named, the migration. The first attempt reformatted the spare root the
//     second one backs up onto: the second run must report the same cap (nothing of the first attempt
//     holds space there) and restore what remains bit for bit.
import {
  test,
  expect,
  loadPaths1x,
  loadPaths1xTo2x,
  runUpdate,
  bootSource,
  describeRun,
  migrationTimeoutMs,
  capReportedMB,
  backupMB,
  expectCapRefusal,
  expectSupervisorAndAppRunning,
  runHistory,
  SEED_DIR,
  type DataSeed,
  type UpgradePath,
} from '../harness/index.ts';

const path1x = (await loadPaths1x()).at(-1);
const path1xTo2x = (await loadPaths1xTo2x()).at(-1);
const MB = 1_000_000;
const MiB = 1024 * 1024;

/** A 1.x device running the path's source, as every step before the successful update leaves it. */
const sourceOf = (p: UpgradePath) => ({
  version: p.from.version,
  root: 'resin-root' as const,
  bootcounts: [],
  bootcountEnv: false,
  stateFiles: [],
});

test(`history: a fingerprint refusal on 1.x, the file restored, then the update`, { tag: ['@history'] }, async ({
  rig,
  scenario,
}) => {
  test.skip(!path1x, 'images/releases.yaml has no 1.x → 1.x path');
  const p = path1x!;
  test.setTimeout(migrationTimeoutMs(rig) * 3);
  const title = `after a refusal: the fingerprint check on ${p.name}, then the file restored`;
  const { device } = scenario.board;
  await runHistory(scenario, title, async (h, after) => {
    const source = sourceOf(p);
    const s1 = await h.step(`boot ${p.from.version} with user data, supervisor and app`, () => bootSource(scenario, p));
    await after(s1, source);

    const s2 = await h.step('change /etc/profile, a file of the image', () =>
      device.check(
        "mount -o remount,rw / && cp /etc/profile /tmp/profile.orig && echo '# local change' >> /etc/profile && sync && mount -o remount,ro /",
      ),
    );
    await after(s2, source);

    const s3 = await h.step(`update to ${p.to.version}: refused at the fingerprint check`, async () => {
      const run = await runUpdate(scenario, p);
      await expectSupervisorAndAppRunning(device, p.from.supervisor, { when: 'after the refusal' });
      return run;
    });
    expect(s3.value.exitCode, `the fingerprint refusal: ${describeRun(s3.value)}`).toBe(1);
    expect(s3.value.error ?? '', 'the refusal names the file').toMatch(
      /fingerprint check failed: 1 file\(s\).*\/etc\/profile \(modified\)/,
    );
    await after(s3, source);

    const s4 = await h.step('restore /etc/profile', () =>
      device.check('mount -o remount,rw / && cp /tmp/profile.orig /etc/profile && sync && mount -o remount,ro /'),
    );
    await after(s4, source);

    const s5 = await h.step(`update to ${p.to.version} again`, () => runUpdate(scenario, p));
    expect(s5.value.exitCode, `the update after the file was restored: ${describeRun(s5.value)}`).toBe(0);
    expect(s5.value.log, 'the fingerprint check passed this time').toMatch(/fingerprint check passed/);
    await after(s5, { ...source, version: p.to.version, root: 'resin-updt' });
    await expectSupervisorAndAppRunning(device, p.to.supervisor, { when: 'after the update' });
  });
});

// Just over the cap (166.9 MB on the reference layout), in files small enough to move off only what
// must go: the refusal comes from the compressed size the updater measures.
const overCap: DataSeed = { kind: 'incompressible', totalBytes: 176 * MB, fileBytes: 8 * MiB, seed: 'history-cap' };
/** What the operator leaves under the cap the refusal named: room for tar's and zstd's overhead. */
const MARGIN_MB = 5;

test('history: refused over the backup cap on 1.x, data moved off, then the migration', {
  tag: ['@history'],
}, async ({ rig, scenario }) => {
  test.skip(!path1xTo2x, 'images/releases.yaml has no 1.x → 2.x path');
  const p = path1xTo2x!;
  const { device } = scenario.board;
  const dataMB = overCap.totalBytes / MB;
  test.setTimeout(migrationTimeoutMs(rig, dataMB) * 3);
  const title = `after a refusal: over the backup cap on ${p.name}, then data under the cap`;
  await runHistory(scenario, title, async (h, after) => {
    const source = sourceOf(p);
    const s1 = await h.step(`boot ${p.from.version} with ${dataMB} MB of incompressible data`, () =>
      bootSource(scenario, p, { seed: overCap }),
    );
    const seeded = s1.value.seeded!;
    expect(s1.sums, 'the seed as read on the device matches the checksums recorded on the host').toMatchObject(
      seeded.checksums,
    );
    await after(s1, source);

    const s2 = await h.step(`update to ${p.to.version}: refused over the cap`, async () => {
      const run = await runUpdate(scenario, p, { seedMB: dataMB });
      await expectSupervisorAndAppRunning(device, p.from.supervisor, { when: 'after the refusal' });
      return run;
    });
    await expectCapRefusal(s2.value, dataMB);
    await after(s2, source);
    const capMB = capReportedMB(s2.value);

    // The seed's first files (each a whole fileBytes) go until the rest is under the cap.
    let remaining = overCap.totalBytes;
    const removed: string[] = [];
    for (const f of Object.keys(seeded.checksums).sort()) {
      if (remaining <= (capMB - MARGIN_MB) * MB) break;
      removed.push(f);
      remaining -= overCap.fileBytes!;
    }
    const kept = Object.fromEntries(Object.entries(s1.sums).filter(([f]) => !removed.includes(f)));
    const names = removed.map((f) => f.replace('./userdata/', '')).join(' ');
    const s3 = await h.step(`move ${removed.length} files off resin-data: ${(remaining / MB).toFixed(1)} MB left`, () =>
      device.check(`cd /mnt/data/${SEED_DIR} && rm ${names} && sync`),
    );
    // resin-data from here on: every other file, bit for bit.
    await after(s3, source, kept);

    const s4 = await h.step(`update to ${p.to.version} again: the migration`, () =>
      runUpdate(scenario, p, { seedMB: remaining / MB }),
    );
    const run = s4.value;
    expect(run.exitCode, `upgrade-1.x-to-2.x.sh ${describeRun(run)}`).toBe(0);
    expect(capReportedMB(run), 'the cap the first attempt found: nothing of it holds space on the spare root').toBe(
      capMB,
    );
    expect(run.log).toMatch(new RegExp(`resin-data to back up: ${(remaining / MB).toFixed(1)} MB in`));
    expect(backupMB(run), 'the backup of what remained fitted under the cap').toBeLessThan(capMB);
    await after(s4, {
      version: p.to.version,
      root: 'resin-rootB',
      upgradeAvailable: '0',
      bootcounts: [],
      bootcountEnv: false,
      stateFiles: [],
      repartitioned: true,
    });
    await expectSupervisorAndAppRunning(device, p.to.supervisor, { when: 'after the migration' });
  });
});
