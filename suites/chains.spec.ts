// @chain: multi-hop updates on one device without reflashing, each hop through the updater a fleet
// would use: 1.26.0 → 1.30.1 (upgrade-1.x.sh; the device ends on resin-updt), → 2.9.7+rev1
// (upgrade-1.x-to-2.x.sh, which must first move the OS off resin-updt: its run-from-p3 pre-step, for
// real, with the reboot and the rerun), → 2.12.3+rev1 (upgrade-2.x.sh, kept by rollback-health).
// resin-data, seeded on the host into the 1.x card, must be bit for bit the same after every hop;
// each hop's device state before and after, and its updater log, are attached.
import {
  test,
  expect,
  findRelease,
  runUpdate,
  bootSource,
  describeRun,
  dataChecksums,
  migrationTimeoutMs,
  expectSupervisorAndAppRunning,
  setHealthWindow,
  MiB,
  type Device,
  type DeviceState,
  type HupRun,
  type Release,
  type UpgradePath,
  pathBetween,
  recordTestData,
  pathRecord,
  expectHealthKeepsUpdate,
} from '../harness/index.ts';

const CHAIN = ['1.26.0', '1.30.1', '2.9.7+rev1', '2.12.3+rev1'];
const SEED_MB = 16;

/** Each hop of the chain, with the updater its class uses. */
const hopsOf = (releases: Release[]): UpgradePath[] => releases.slice(1).map((to, i) => pathBetween(releases[i]!, to));

/** What the device must look like after a hop (beyond version, data and services). */
async function expectAfterHop(device: Device, hop: UpgradePath, run: HupRun, after: DeviceState): Promise<void> {
  expect(after.osRelease.VERSION).toBe(hop.to.version);
  if (hop.pathClass === '1x') {
    expect(after).toHaveLayout('1.x');
    expect(after, '1.x → 1.x writes the spare root resin-updt').toBootFrom('resin-updt');
    expect(after).toSelectRoot(3);
  } else if (hop.pathClass === '1x-2x') {
    const pre = run.preStep;
    expect(pre, 'the device ran from resin-updt, so the migration started with its pre-step').toBeDefined();
    expect(pre!.exitCode, `pre-step ${describeRun(pre!)}`).toBe(0);
    expect(pre!.phases.map((p) => p.name)).toEqual(['checks', 'stop-app', 'copy-root', 'switch-boot', 'reboot']);
    expect(pre!.output).toMatch(/copied and verified: \d+ files identical/);
    expect(run.output, 'the rerun found the device on resin-root').toMatch(/active root \S*2 \(partition 2\)/);
    expect(after).toHaveLayout('2.x');
    expect(after).toBootFrom('resin-rootB');
    expect(after.bootEnv).toEqual({ resin_root_part: '3', upgrade_available: '0' });
  } else {
    expect(after).toHaveLayout('2.x');
    expect(after).toBootFrom('resin-rootA');
    // rollback-health (its window compressed) keeps the update: upgrade_available cleared, no breadcrumbs.
    await expectHealthKeepsUpdate(device, '2', 120_000);
  }
}

test(
  `chain: ${CHAIN.join(' → ')} on one device`,
  { tag: ['@chain', '@hup'] },
  async ({ rig, device, scenario }, testInfo) => {
    const releases = await Promise.all(CHAIN.map((v) => findRelease(v)));
    const hops = hopsOf(releases);
    test.setTimeout(migrationTimeoutMs(rig, SEED_MB) * (hops.length + 1));
    // A chain is recorded as the path from its first release to its last, through every hop's updater.
    await recordTestData(testInfo, 'path', {
      ...pathRecord(hops[0]!, 'chain'),
      name: CHAIN.join(' → '),
      to: CHAIN.at(-1)!,
      updater: hops.map((h) => h.updater).join(' + '),
    });

    await test.step('publish every release of the chain, the resinhup image and the tools image', async () => {
      for (const hop of hops) await scenario.registry.publishPath(hop);
    });
    const { seeded } = await bootSource(scenario, hops[0]!, { seedMB: SEED_MB });
    const sumsAtStart = await dataChecksums(device);
    expect(sumsAtStart, 'the seeded files, read on the device, match the checksums recorded on the host').toMatchObject(
      seeded!.checksums,
    );

    const summary: string[] = [];
    for (const [i, hop] of hops.entries()) {
      await test.step(`hop ${i + 1}: ${hop.from.version} → ${hop.to.version} (${hop.updater})`, async () => {
        const before = await device.snapshot();
        expect(before.osRelease.VERSION).toBe(hop.from.version);
        if (hop.pathClass === '2x') await setHealthWindow(device);
        const started = Date.now();
        const run = await runUpdate(scenario, hop, { seedMB: SEED_MB });
        await testInfo.attach(`hop-${i + 1}-updater.log`, {
          body: [run.preStep?.log, run.log].filter(Boolean).join('\n\n--- rerun ---\n\n'),
          contentType: 'text/plain',
        });
        expect(
          run.exitCode,
          `${hop.updater} ${describeRun(run)}\n${run.output.split('\n').slice(-25).join('\n')}`,
        ).toBe(0);
        const after = await device.snapshot();
        await testInfo.attach(`hop-${i + 1}-device-state.json`, {
          body: JSON.stringify(
            { hop: `${hop.from.version} → ${hop.to.version}`, updater: hop.updater, before, after },
            null,
            2,
          ),
          contentType: 'application/json',
        });
        await expectAfterHop(device, hop, run, after);
        await expectSupervisorAndAppRunning(device, hop.to.supervisor, {
          timeoutMs: 8 * 60_000,
          when: `after hop ${i + 1}`,
        });
        expect(await dataChecksums(device), `resin-data after hop ${i + 1}`).toEqual(sumsAtStart);
        summary.push(
          `hop ${i + 1} ${hop.from.version} → ${hop.to.version} (${hop.updater}): ${((Date.now() - started) / 1000).toFixed(0)} s, ${after.activeRoot.label}, ${((run.bytesReceived + (run.preStep?.bytesReceived ?? 0)) / MiB).toFixed(2)} MiB pulled`,
        );
      });
    }
    testInfo.annotations.push({ type: 'chain', description: summary.join('; ') });
    console.log(`chain on ${rig.config.name}:\n  ${summary.join('\n  ')}`);
  },
);
