// @fault: power cuts at every phase of every updater (upgrade-2.x.sh on the newest 2.x path,
// upgrade-1.x-to-2.x.sh on the newest 1.x → 2.x path, upgrade-1.x.sh on the newest 1.x → 1.x path),
// and the network or the registry failing under it.
// Power cut: the runner cuts power when the phase's `[hup] phase=` line streams (or a set time into
// it), the board is powered on again and must meet the row's guarantee (harness/faults/guarantees.ts);
// when the old OS came back, a rerun of the updater must succeed. Each row's measured outcome rides
// on its test; the summary reporter prints the table at the end of the run and writes it to
// guarantee-table-<rig>.md in the results folder (rows from every worker).
// Network down / registry down during the pull: the updater fails cleanly (exit 1, a message), the
// device is as it was with its supervisor running again, and a rerun succeeds once it is back.
// Registry slow (an EDGE/GPRS-class link): the update completes and the device pulls no more than
// the image and the supervisor, i.e. nothing is downloaded twice.
import {
  test,
  expect,
  MiB,
  loadPaths2x,
  loadPaths1xTo2x,
  loadPaths1x,
  subjectPath,
  seedData,
  bootOneXDevice,
  migrationTimeoutMs,
  seedResinData,
  labWifiNetworks,
  type UpdateTestContext,
  expectOsBack,
  ProductWaitError,
  runUpdater,
  describeRun,
  updaterScript,
  bootSourceForUpdate,
  dataChecksums,
  stableState,
  powerCutGuarantees,
  classifyOutcome,
  meetsGuarantee,
  stopRegistry,
  startRegistryAgain,
  shapeRegistry,
  unshapeRegistry,
  type Device,
  type DeviceState,
  type MeasuredRow,
  POWER_CUT_ROW_ANNOTATION,
  type Rig,
  type TestRegistry,
  type UpgradePath,
} from '../harness/index.ts';

const paths = await loadPaths2x();
// The newest target from the newest source below it: the update a fleet would take next.
const path = paths.filter((p) => p.to.version === paths.at(-1)!.to.version).at(-1)!;
/** An EDGE/GPRS-class link: slow enough to matter, fast enough to finish a 20 MiB update in minutes. */
const SLOW_LINK_KBIT = 384;
/** Framing and retransmissions on the device's interface, over the payload (measured ~7.6% at 384 kbit/s). */
const WIRE_OVERHEAD = 0.12;
/** resin-data seeded on 1.x cards: enough for the backup phase to take a while, little enough to keep rows short. */
const SEED_MB = 16;

const updaterArgs = (p: UpgradePath) => ['--hostos-version', p.to.version, '--supervisor-version', p.to.supervisor];

/** The update finished as hup-2x expects: the other root, the target version, the data. */
async function expectUpdated(device: Device, before: DeviceState, sums: Record<string, string>, p: UpgradePath) {
  const after = await device.snapshot();
  expect(after.activeRoot.partition, 'the updated device runs from the other root').not.toBe(
    before.activeRoot.partition,
  );
  expect(after.osRelease.VERSION).toBe(p.to.version);
  expect(stableState(after).partitions).toEqual(stableState(before).partitions);
  expect(await dataChecksums(device)).toEqual(sums);
}

/** The migration finished as hup-1x-to-2x expects: 2.x layout, the target from resin-rootB, the data. */
async function expectMigrated(device: Device, _before: DeviceState, sums: Record<string, string>, p: UpgradePath) {
  const after = await device.snapshot();
  expect(after).toHaveLayout('2.x');
  expect(after).toBootFrom('resin-rootB');
  expect(after.osRelease.VERSION).toBe(p.to.version);
  expect(await dataChecksums(device)).toEqual(sums);
}

async function expectSupervisorRunning(device: Device) {
  await expect
    .poll(async () => (await device.exec('docker ps -q')).stdout.split('\n').includes('resin_supervisor'), {
      timeout: 120_000,
      intervals: [2000],
      message: 'the supervisor running again after the failed update',
    })
    .toBe(true);
}

/** One updater under power cuts: the path it runs, how its source device is set up, what "updated" means. */
interface CutSubject {
  path: UpgradePath;
  timeoutMs: (rig: Rig) => number;
  boot: (ctx: UpdateTestContext) => Promise<unknown>;
  expectDone: typeof expectUpdated;
}

// Each updater's cuts run on one path: the newest target from the newest source (in a release gate,
// the path to the gated release; an updater that cannot install it has no rows).
const subjects: CutSubject[] = [];
const path2x = subjectPath(paths);
if (path2x) {
  subjects.push({
    path: path2x,
    timeoutMs: (rig) => rig.config.bootTimeoutSeconds * 1000 * 8,
    boot: (ctx) => bootSourceForUpdate(ctx, path2x),
    expectDone: expectUpdated,
  });
}
const path1x = subjectPath(await loadPaths1xTo2x());
if (path1x) {
  subjects.push({
    path: path1x,
    timeoutMs: (rig) => migrationTimeoutMs(rig, SEED_MB) * 2 + rig.config.bootTimeoutSeconds * 1000 * 4,
    boot: async ({ rig, device, registry, imageFor }) => {
      await registry.publishPath(path1x);
      const seeded = await seedResinData((await imageFor(path1x.from.version)).path, {
        kind: 'incompressible',
        totalBytes: SEED_MB * 1_000_000,
        fileBytes: 4 * MiB,
      });
      await bootOneXDevice(rig, device, {
        image: seeded.path,
        registryUrl: registry.started.deviceUrl,
        supervisorVersion: path1x.from.supervisor,
        wifi: labWifiNetworks,
      });
    },
    expectDone: expectMigrated,
  });
}

const path1x1x = subjectPath(await loadPaths1x());
if (path1x1x) {
  subjects.push({
    path: path1x1x,
    timeoutMs: (rig) => migrationTimeoutMs(rig) * 2 + rig.config.bootTimeoutSeconds * 1000 * 4,
    boot: async ({ rig, device, registry, imageFor }) => {
      await registry.publishPath(path1x1x);
      await bootOneXDevice(rig, device, {
        image: (await imageFor(path1x1x.from.version)).path,
        registryUrl: registry.started.deviceUrl,
        supervisorVersion: path1x1x.from.supervisor,
        wifi: labWifiNetworks,
      });
      await seedData(device);
    },
    expectDone: expectUpdated,
  });
}

for (const subject of subjects) {
  const { path: cutPath } = subject;
  for (const row of powerCutGuarantees.filter((r) => r.updater === cutPath.updater)) {
    const title = `power cut: ${row.updater} in ${row.phase}${row.afterMs ? ` +${row.afterMs}ms` : ''} → ${row.guarantee}`;
    test(title, { tag: ['@fault'] }, async ({ rig, device, imageFor, registry }, testInfo) => {
      test.setTimeout(subject.timeoutMs(rig));
      testInfo.annotations.push(
        { type: 'fault', description: `power-cut at ${row.phase}` },
        { type: 'guarantee', description: `${row.guarantee}: ${row.why}` },
      );
      await test.step(`boot ${cutPath.from.version} with the supervisor and the app`, () =>
        subject.boot({ rig, device, registry, imageFor }));
      const before = await device.snapshot();
      const sums = await dataChecksums(device);

      const run = await runUpdater(device, rig, {
        script: updaterScript(row.updater),
        args: updaterArgs(cutPath),
        step: (name, body) => test.step(name, body),
        at: { phase: row.phase, afterMs: row.afterMs, action: () => rig.power.cut() },
      });
      await testInfo.attach('updater-output.log', { body: run.output, contentType: 'text/plain' });
      expect(run.injected, `the updater reached phase ${row.phase} (${describeRun(run)})`).toBeDefined();
      testInfo.annotations.push({
        type: 'cut',
        description: `power cut ${(run.injected!.atMs / 1000).toFixed(1)}s into the run, in ${row.phase}`,
      });

      const after = await test.step('power on after the cut', async () => {
        await device.disconnect();
        await rig.power.on();
        try {
          // A product wait: a device that does not come back after a cut is the finding this row is
          // for. A rig that failed meanwhile (QEMU gone, console detached) stays an InfraError.
          await expectOsBack(rig, device, `the device after a power cut in ${row.phase}`);
          return await device.snapshot();
        } catch (error) {
          if (!(error instanceof ProductWaitError)) throw error;
          testInfo.annotations.push({ type: 'no-boot', description: (error as Error).message.split('\n')[0]! });
          return undefined;
        }
      });
      const { outcome, detail } = classifyOutcome(before, after, cutPath.to);
      const result: MeasuredRow = { ...row, rig: rig.config.name, outcome, detail };
      // The measured row rides on the test (the summary reporter builds the guarantee table from every
      // worker's rows); kept current as the rerun and the data verdict fill it in.
      const note = { type: POWER_CUT_ROW_ANNOTATION, description: '' };
      const record = () => (note.description = JSON.stringify(result));
      record();
      testInfo.annotations.push(note, { type: 'outcome', description: `${outcome} (${detail})` });
      await testInfo.attach('device-state.json', {
        body: JSON.stringify({ before, after }, null, 2),
        contentType: 'application/json',
      });

      if (row.guarantee === 'unsafe') {
        // What the window costs, measured: does the device come back, and with which of its data?
        if (after) result.detail += `; ${await dataVerdict(device, sums)}`;
        record();
        const finding = {
          type: 'finding',
          description: `known unsafe window ${row.phase}: ${outcome} (${result.detail}) — ${row.why}`,
        };
        testInfo.annotations.push(finding);
        // Still promised: the device boots one OS whole with its data, or the documented recovery
        // (a rerun of the updater) brings it to the target with resin-data intact. Otherwise: bricked.
        await test.step('the promise after an unsafe window: one OS whole, or recovered by a rerun', async () => {
          expect(
            after,
            `bricked: after a cut in ${row.phase} the device did not boot (${detail}); no documented recovery applies to a device that does not boot`,
          ).toBeDefined();
          if (outcome === 'new-os') {
            expect(
              await dataChecksums(device),
              `bricked: after a cut in ${row.phase} the new OS booted without its resin-data`,
            ).toEqual(sums);
            return;
          }
          const rerun = await runUpdater(device, rig, {
            script: updaterScript(row.updater),
            args: updaterArgs(cutPath),
            step: (name, body) => test.step(`recovery rerun: ${name}`, body),
            timeoutMs: subject.timeoutMs(rig) / 2,
          });
          await testInfo.attach('updater-recovery-rerun.log', { body: rerun.log, contentType: 'text/plain' });
          result.rerunOk = rerun.exitCode === 0;
          finding.description += `; recovery by rerun: ${result.rerunOk ? 'ok' : `FAILED (${describeRun(rerun)})`}`;
          record();
          expect(
            rerun.exitCode,
            `bricked: after a cut in ${row.phase} (${outcome}: ${result.detail}) the documented recovery, a rerun of ${row.updater}, failed: ${describeRun(rerun)}`,
          ).toBe(0);
          await subject.expectDone(device, before, sums, cutPath);
        });
        return;
      }
      expect(
        meetsGuarantee(row.guarantee, outcome),
        `after a cut in ${row.phase} the guarantee is ${row.guarantee}; the device came back as ${outcome} (${detail})`,
      ).toBe(true);
      expect(await dataChecksums(device), 'resin-data intact after the cut').toEqual(sums);

      if (outcome === 'old-os') {
        await test.step('a rerun of the updater succeeds', async () => {
          const rerun = await runUpdater(device, rig, {
            script: updaterScript(row.updater),
            args: updaterArgs(cutPath),
            step: (name, body) => test.step(`rerun: ${name}`, body),
            timeoutMs: subject.timeoutMs(rig) / 2,
          });
          await testInfo.attach('updater-rerun.log', { body: rerun.log, contentType: 'text/plain' });
          result.rerunOk = rerun.exitCode === 0;
          record();
          expect(rerun.exitCode, `rerun after the cut: ${describeRun(rerun)}`).toBe(0);
          await subject.expectDone(device, before, sums, cutPath);
        });
      }
    });
  }
}

/** resin-data after a cut in an unsafe window, compared with before: intact, changed, or unreadable. */
async function dataVerdict(device: Device, sums: Record<string, string>): Promise<string> {
  try {
    const now = await dataChecksums(device);
    const lost = Object.keys(sums).filter((f) => now[f] !== sums[f]);
    return lost.length
      ? `resin-data: ${lost.length} of ${Object.keys(sums).length} files lost or changed`
      : 'resin-data intact';
  } catch (error) {
    return `resin-data unreadable (${(error as Error).message.split('\n')[0]})`;
  }
}

/** How long the network stays down: longer than the engine's 30 s stall timeout, so the pull must fail. */
const OUTAGE_MS = 45_000;

interface PullFault {
  name: string;
  /** Runs at the pull (the network fault ends by itself; the registry one needs `restore`). */
  inject: (rig: Rig, registry: TestRegistry) => Promise<void>;
  restore: (rig: Rig, registry: TestRegistry) => Promise<void>;
  message: RegExp;
}

const pullFaults: PullFault[] = [
  {
    name: 'network-down',
    // A link outage of OUTAGE_MS: the fault's length, not a wait for a condition.
    inject: async (rig) => {
      await rig.network.down();
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await rig.network.up();
    },
    restore: (rig) => rig.network.up(),
    message: /cannot pull|stalled|cannot download/,
  },
  {
    name: 'registry-down',
    inject: (_, registry) => stopRegistry(registry.started),
    restore: (_, registry) => startRegistryAgain(registry.started),
    message: /cannot pull|cannot download|cannot get manifest/,
  },
];

for (const fault of pullFaults) {
  test(
    `${fault.name} during the pull: clean failure, device unchanged, rerun succeeds`,
    { tag: ['@fault'] },
    async ({ rig, device, imageFor, registry }, testInfo) => {
      test.setTimeout(rig.config.bootTimeoutSeconds * 1000 * 6);
      testInfo.annotations.push({ type: 'fault', description: `${fault.name} at pull` });
      await test.step(`boot ${path.from.version} with the supervisor and the app`, () =>
        bootSourceForUpdate({ rig, device, registry, imageFor }, path));
      const before = await device.snapshot();
      const sums = await dataChecksums(device);
      let restored = false;
      try {
        const run = await runUpdater(device, rig, {
          script: updaterScript(path.updater),
          args: updaterArgs(path),
          step: (name, body) => test.step(name, body),
          at: { phase: 'pull', afterMs: 1000, action: () => fault.inject(rig, registry), connection: 'resumes' },
        });
        await testInfo.attach('updater.log', { body: run.log, contentType: 'text/plain' });
        expect(run.injected, `the updater reached the pull (${describeRun(run)})`).toBeDefined();
        await test.step(`${fault.name}: back to normal`, async () => {
          await fault.restore(rig, registry);
          restored = true;
        });
        expect(run.exitCode, `the updater fails cleanly: ${describeRun(run)}`).toBe(1);
        expect(run.error ?? '', 'the failure names what went wrong').toMatch(fault.message);
        // The network was down: the run's output may have been cut off, the device is reached again now.
        const after = await device.snapshot();
        expect(stableState(after), 'the device as it was before the update').toEqual(stableState(before));
        expect(await dataChecksums(device)).toEqual(sums);
        await expectSupervisorRunning(device);
      } finally {
        if (!restored) await fault.restore(rig, registry).catch(() => undefined);
      }

      await test.step('a rerun succeeds', async () => {
        const rerun = await runUpdater(device, rig, {
          script: updaterScript(path.updater),
          args: updaterArgs(path),
          step: (name, body) => test.step(`rerun: ${name}`, body),
        });
        expect(rerun.exitCode, describeRun(rerun)).toBe(0);
        await expectUpdated(device, before, sums, path);
      });
    },
  );
}

test(
  `registry-slow (${SLOW_LINK_KBIT} kbit/s): the update completes and nothing is pulled twice`,
  { tag: ['@fault'] },
  async ({ rig, device, imageFor, registry }, testInfo) => {
    test.setTimeout(rig.config.bootTimeoutSeconds * 1000 * 12);
    testInfo.annotations.push({ type: 'fault', description: `registry-slow ${SLOW_LINK_KBIT} kbit/s` });
    await test.step(`boot ${path.from.version} with the supervisor and the app`, () =>
      bootSourceForUpdate({ rig, device, registry, imageFor }, path));
    const before = await device.snapshot();
    const sums = await dataChecksums(device);
    // The budget: every blob of the target's hostOS image and supervisor image, once.
    const budget = await test.step('the bytes the update must pull at most', async () => {
      const refs = [
        `resin/resinos:${path.to.version.replace(/\+/g, '_')}-${rig.deviceType}`,
        await supervisorRef(device, path),
      ];
      let bytes = 0;
      for (const ref of refs) {
        const { manifest } = await registry.started.client.getManifest(ref.replace(/^[^/]+:\d+\//, ''));
        bytes += manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
      }
      return bytes;
    });
    const mark = await registry.started.mark();
    await shapeRegistry(registry.started, SLOW_LINK_KBIT);
    let run;
    try {
      run = await runUpdater(device, rig, {
        script: updaterScript(path.updater),
        args: updaterArgs(path),
        step: (name, body) => test.step(name, body),
        timeoutMs: 40 * 60_000,
      });
    } finally {
      await unshapeRegistry(registry.started);
    }
    await testInfo.attach('updater.log', { body: run.log, contentType: 'text/plain' });
    const served = await registry.started.bytesServed(mark);
    const pull = run.phases.find((p) => p.name === 'pull');
    testInfo.annotations.push({
      type: 'bandwidth',
      description: `registry served ${(served.blobs / MiB).toFixed(2)} MiB of blobs (budget ${(budget / MiB).toFixed(2)} MiB); the device received ${(run.bytesReceived / MiB).toFixed(2)} MiB on the wire (${((run.bytesReceived / budget - 1) * 100).toFixed(1)}% framing and retransmissions); pull took ${((pull?.durationMs ?? 0) / 1000).toFixed(0)}s`,
    });
    expect(run.exitCode, describeRun(run)).toBe(0);
    // Nothing pulled twice: the blob bytes the registry served are one copy of each blob, no more.
    expect(served.blobs, 'blob bytes served by the registry: one copy of each blob').toBeLessThanOrEqual(budget);
    // On the wire, TCP/IP and Ethernet framing add ~4.5% to a bulk transfer, and a shaped link drops
    // and retransmits a little more; one repeated layer would add far more than this allowance.
    expect(run.bytesReceived, 'bytes received by the device: the blobs plus framing').toBeLessThanOrEqual(
      budget * (1 + WIRE_OVERHEAD),
    );
    await expectUpdated(device, before, sums, path);
  },
);

/** The supervisor image the updater pulls for this path (it pulls none when the target's is not newer). */
async function supervisorRef(device: Device, p: UpgradePath): Promise<string> {
  const current = JSON.parse(await device.check('cat /mnt/boot/config.json')).supervisorImage as string;
  return p.supervisorUpdate ? current.replace(/:v[^:]+$/, `:v${p.to.supervisor}`) : current;
}
