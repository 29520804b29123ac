// @fault: power cuts at every phase of every updater (upgrade-2.x.sh on the newest 2.x path,
// upgrade-1.x-to-2.x.sh on the newest 1.x → 2.x path, upgrade-1.x.sh on the newest 1.x → 1.x path),
// and the network or the registry failing under it. The faults are the catalogue's (harness/faults).
// Power cut: the cut comes when the phase's `[hup] phase=` line streams (or a set time into it), the
// board is powered on again and must meet the row's guarantee (harness/faults/guarantees.ts); when
// the old OS came back, a rerun of the updater must succeed (harness/scenarios/power-cut.ts judges the
// row). Each row's measured outcome rides on its test; the summary reporter prints the table at the
// end of the run and writes it to guarantee-table-<rig>.md in the results folder (rows from every worker).
// A row forks from its phase snapshot where the rig can save a board (harness/scenarios/phase-fork.ts:
// the board resumed as the phase starts, the updater running; the first row of an updater records
// them): its `started-from` annotation names the snapshot, or says why it booted the source instead
// (the Raspberry Pi rig, HUPBENCH_FORK_ROWS not 1: forking is opt-in for now). The assertions are the
// same either way.
// Network down / registry down during the pull: the updater fails cleanly (exit 1, a message), the
// device is as it was with its supervisor running again, and a rerun succeeds once it is back.
// Link drop: the link goes mid-layer and comes back inside the updater's retry window: the update
// completes through a retried pull, and the bytes served twice (the cut-off layer) are reported.
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
  migrationTimeoutMs,
  describeRun,
  dataChecksums,
  stableState,
  bootSource,
  runUpdate,
  judgePowerCut,
  updateThroughOutage,
  updateThroughThrottle,
  updateThroughLinkDrop,
  retriedPulls,
  linkDrop,
  recordTestData,
  runningContainers,
  bandwidthRecord,
  powerCut,
  powerCutTitle,
  meetsGuarantee,
  networkDown,
  registryDown,
  registrySlow,
  outageMessage,
  OUTAGE_MS,
  POWER_CUT_ROW_ANNOTATION,
  type BootedSource,
  type Device,
  type DeviceState,
  type OutageFault,
  type PowerCutJudgement,
  type Rig,
  type ScenarioContext,
  type UpgradePath,
  forkPowerCut,
  whyNotForked,
  type ForkedCut,
  imagePullAllowanceMs,
} from '../harness/index.ts';
// Note: not yet re-exported by harness/index.ts (owned elsewhere); imported from the scenario itself.

const paths = await loadPaths2x();
// The newest target from the newest source below it: the update a fleet would take next.
const path = paths.filter((p) => p.to.version === paths.at(-1)!.to.version).at(-1)!;
/** resin-data seeded on 1.x cards: enough for the backup phase to take a while, little enough to keep rows short. */
const SEED_MB = 16;

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
    .poll(async () => (await runningContainers(device)).some((c) => c.name === 'resin_supervisor'), {
      timeout: 120_000,
      intervals: [2000],
      message: 'the supervisor running again after the failed update',
    })
    .toBe(true);
}

/** One updater under power cuts: the path it runs, its test time, what "updated" means. */
interface CutSubject {
  path: UpgradePath;
  timeoutMs: (rig: Rig) => number;
  seedMB?: number;
  expectDone: typeof expectUpdated;
}

// Each updater's cuts run on one path: the newest target from the newest source (in a release gate,
// the path to the gated release; an updater that cannot install it has no rows).
const subjects: CutSubject[] = [];
const path2x = subjectPath(paths);
if (path2x)
  subjects.push({
    path: path2x,
    timeoutMs: (rig) => rig.config.bootTimeoutSeconds * 1000 * 8 + imagePullAllowanceMs(rig),
    expectDone: expectUpdated,
  });
const path1x = subjectPath(await loadPaths1xTo2x());
if (path1x)
  subjects.push({
    path: path1x,
    timeoutMs: (rig) => migrationTimeoutMs(rig, SEED_MB) * 2 + rig.config.bootTimeoutSeconds * 1000 * 4,
    seedMB: SEED_MB,
    expectDone: expectMigrated,
  });
const path1x1x = subjectPath(await loadPaths1x());
if (path1x1x)
  subjects.push({
    path: path1x1x,
    timeoutMs: (rig) => migrationTimeoutMs(rig) * 2 + rig.config.bootTimeoutSeconds * 1000 * 4,
    expectDone: expectUpdated,
  });

for (const subject of subjects) {
  for (const row of powerCut.rows(subject.path.updater)) {
    test(powerCutTitle(row), { tag: ['@fault'] }, async ({ rig, scenario }, testInfo) => {
      test.setTimeout(subject.timeoutMs(rig));
      testInfo.annotations.push(
        { type: 'fault', description: `${powerCut.name} at ${row.phase}` },
        { type: 'guarantee', description: `${row.guarantee}: ${row.why}` },
      );
      // The measured row rides on the test (the summary reporter builds the guarantee table from every
      // worker's rows); kept current as the rerun and the data verdict fill it in.
      const note = { type: POWER_CUT_ROW_ANNOTATION, description: '' };
      const hooks = {
        row: (measured: PowerCutJudgement['row']) => {
          if (!note.description) testInfo.annotations.push(note);
          note.description = JSON.stringify(measured);
        },
        evidence: (name: string, body: string) =>
          testInfo.attach(name, { body, contentType: name.endsWith('.json') ? 'application/json' : 'text/plain' }),
      };
      const notForked = whyNotForked(scenario);
      // A forked row may be the one that records its updater's snapshots first (or waits for another
      // worker's recording): a whole update more than the row itself.
      if (!notForked) test.setTimeout(subject.timeoutMs(rig) * 2);
      const phases = [...new Set(powerCut.rows(subject.path.updater).map((r) => r.phase))];
      const forked = notForked
        ? undefined
        : await forkPowerCut(scenario, { path: subject.path, seedMB: subject.seedMB, phases }, row, { hooks });
      testInfo.annotations.push({ type: 'started-from', description: startedFrom(forked, notForked) });
      const source = forked?.source ?? (await bootSource(scenario, subject.path, { seedMB: subject.seedMB }));
      const judged = forked?.judged ?? (await judgePowerCut(scenario, source, row, { seedMB: subject.seedMB, hooks }));
      const { run, row: measured } = judged;
      expect(run.injected, `the updater reached phase ${row.phase} (${describeRun(run)})`).toBeDefined();
      testInfo.annotations.push({
        type: 'cut',
        description: `power cut ${(run.injected!.atMs / 1000).toFixed(1)}s into the run, in ${row.phase}`,
      });
      if (judged.noBoot) testInfo.annotations.push({ type: 'no-boot', description: judged.noBoot });
      testInfo.annotations.push({ type: 'outcome', description: `${measured.outcome} (${measured.detail})` });
      if (row.guarantee === 'unsafe') await expectUnsafeWindowPromise(scenario, subject, source, judged);
      else await expectGuarantee(scenario, subject, source, judged);
    });
  }
}

/** Where a row started: its phase snapshot, or the source booted (and why it was not forked). */
function startedFrom(forked: ForkedCut | undefined, notForked: string | undefined): string {
  if (forked)
    return `phase snapshot: ${forked.from.snapshot} (${forked.from.recorded ? 'recorded by this row' : 'saved earlier'})`;
  return `the source booted, the updater run up to the phase (${notForked ?? 'the recording never reached the phase'})`;
}

const sumsOrError = (judged: PowerCutJudgement) => judged.sumsAfter ?? `unreadable: ${judged.sumsError}`;

/** The row's guarantee held, with the data; after the old OS, a rerun of the updater succeeds. */
async function expectGuarantee(ctx: ScenarioContext, subject: CutSubject, source: BootedSource, j: PowerCutJudgement) {
  const { row } = j;
  expect(
    meetsGuarantee(row.guarantee, row.outcome),
    `after a cut in ${row.phase} the guarantee is ${row.guarantee}; the device came back as ${row.outcome} (${row.detail})`,
  ).toBe(true);
  expect(sumsOrError(j), 'resin-data intact after the cut').toEqual(source.sums);
  if (row.outcome !== 'old-os') return;
  await test.step('a rerun of the updater succeeds', async () => {
    expect(j.rerun, 'a rerun after the old OS came back').toBeDefined();
    expect(j.rerun!.exitCode, `rerun after the cut: ${describeRun(j.rerun!)}`).toBe(0);
    await subject.expectDone(ctx.board.device, source.before, source.sums, subject.path);
  });
}

/**
 * A known unsafe window: the outcome is a finding. Still promised: the device boots one OS whole with
 * its data, or the documented recovery (a rerun of the updater) brings it to the target with
 * resin-data intact. Otherwise: bricked.
 */
async function expectUnsafeWindowPromise(
  ctx: ScenarioContext,
  subject: CutSubject,
  source: BootedSource,
  j: PowerCutJudgement,
) {
  const { row } = j;
  const finding = {
    type: 'finding',
    description: `known unsafe window ${row.phase}: ${row.outcome} (${row.detail}) — ${row.why}`,
  };
  test.info().annotations.push(finding);
  if (j.rerun) finding.description += `; recovery by rerun: ${row.rerunOk ? 'ok' : `FAILED (${describeRun(j.rerun)})`}`;
  await test.step('the promise after an unsafe window: one OS whole, or recovered by a rerun', async () => {
    expect(
      j.after,
      `bricked: after a cut in ${row.phase} the device did not boot (${row.detail}); no documented recovery applies to a device that does not boot`,
    ).toBeDefined();
    if (row.outcome === 'new-os') {
      expect(sumsOrError(j), `bricked: after a cut in ${row.phase} the new OS booted without its resin-data`).toEqual(
        source.sums,
      );
      return;
    }
    expect(
      j.rerun!.exitCode,
      `bricked: after a cut in ${row.phase} (${row.outcome}: ${row.detail}) the documented recovery, a rerun of ${row.updater}, failed: ${describeRun(j.rerun!)}`,
    ).toBe(0);
    await subject.expectDone(ctx.board.device, source.before, source.sums, subject.path);
  });
}

for (const fault of [networkDown, registryDown] satisfies OutageFault[]) {
  test(
    `${fault.name} during the pull: clean failure, device unchanged, rerun succeeds`,
    { tag: ['@fault'] },
    async ({ rig, scenario }, testInfo) => {
      // The outage outlasts the updater's pull retries (OUTAGE_MS): the run waits it out before the rerun.
      test.setTimeout(rig.config.bootTimeoutSeconds * 1000 * 6 + OUTAGE_MS + imagePullAllowanceMs(rig));
      testInfo.annotations.push({ type: 'fault', description: `${fault.name} at ${fault.at.phase}` });
      const { before, sums } = await bootSource(scenario, path);
      const { device } = scenario.board;
      const run = await updateThroughOutage(scenario, path, fault);
      await testInfo.attach('updater.log', { body: run.log, contentType: 'text/plain' });
      expect(run.injected, `the updater reached the pull (${describeRun(run)})`).toBeDefined();
      expect(run.exitCode, `the updater fails cleanly: ${describeRun(run)}`).toBe(1);
      expect(run.error ?? '', 'the failure names what went wrong').toMatch(outageMessage(fault, path.updater));
      // The updater retried the pull through the outage, every try failing (its default: 3 tries).
      const retried = retriedPulls(path, run);
      testInfo.annotations.push({
        type: 'pull-tries',
        description: retried.map((r) => `try ${r.try}/${r.of} failed, next in ${r.waitS} s`).join('; ') || 'none',
      });
      expect(retried.length, 'failed pull tries followed by another (the updater log)').toBeGreaterThanOrEqual(1);
      expect(retried.at(-1)!.try, 'every try but the last was followed by another').toBe(retried.at(-1)!.of - 1);
      // The network was down: the run's output may have been cut off, the device is reached again now.
      const after = await device.snapshot();
      expect(stableState(after), 'the device as it was before the update').toEqual(stableState(before));
      expect(await dataChecksums(device)).toEqual(sums);
      await expectSupervisorRunning(device);

      await test.step('a rerun succeeds', async () => {
        const rerun = await runUpdate(scenario, path, { stepPrefix: 'rerun: ' });
        expect(rerun.exitCode, describeRun(rerun)).toBe(0);
        await expectUpdated(device, before, sums, path);
      });
    },
  );
}

test(
  `${registrySlow.name} (${registrySlow.kbitPerSecond} kbit/s): the update completes and nothing is pulled twice`,
  { tag: ['@fault'] },
  async ({ rig, scenario }, testInfo) => {
    // The whole hostOS image crosses the shaped link: 120 MB (the top of real sizes) at its rate.
    test.setTimeout(
      rig.config.bootTimeoutSeconds * 1000 * 12 + imagePullAllowanceMs(rig) + (120e6 * 8) / registrySlow.kbitPerSecond,
    );
    testInfo.annotations.push({
      type: 'fault',
      description: `${registrySlow.name} ${registrySlow.kbitPerSecond} kbit/s`,
    });
    const { before, sums } = await bootSource(scenario, path);
    const { run, budget, served } = await updateThroughThrottle(scenario, path, registrySlow);
    await testInfo.attach('updater.log', { body: run.log, contentType: 'text/plain' });
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
      budget * (1 + registrySlow.wireOverhead),
    );
    await expectUpdated(scenario.board.device, before, sums, path);
  },
);

test(
  `${linkDrop.name} mid-layer, back within the retry window: the update completes through a retried pull`,
  { tag: ['@fault'] },
  async ({ rig, scenario }, testInfo) => {
    test.setTimeout(rig.config.bootTimeoutSeconds * 1000 * 8 + imagePullAllowanceMs(rig));
    testInfo.annotations.push({ type: 'fault', description: linkDrop.description });
    const { before, sums } = await bootSource(scenario, path);
    const d = await updateThroughLinkDrop(scenario, path, linkDrop);
    await testInfo.attach('updater.log', { body: d.run.log, contentType: 'text/plain' });
    expect(d.run.injected, `the updater reached the pull (${describeRun(d.run)})`).toBeDefined();
    expect(d.drop, 'the link dropped mid-layer').toBeDefined();
    const extra = d.served.blobs - d.budget;
    testInfo.annotations.push({
      type: 'bandwidth',
      description: `link dropped after ${(d.drop!.layerBytesAtDrop / MiB).toFixed(2)} MiB on the wire of a ${(d.layer.size / MiB).toFixed(2)} MiB layer, down ${(d.drop!.outageMs / 1000).toFixed(0)} s (${d.drop!.engineGaveUp ? 'until the engine gave up on the layer' : 'the engine never said it gave up: back at the limit'}); pull tries that failed and were retried: ${d.retries.length} (${d.retries.map((r) => `try ${r.try}/${r.of}, then ${r.waitS} s`).join('; ')}); the layer was served ${d.layerServed.requests} times, ${(d.layerServed.bytes / MiB).toFixed(2)} MiB (${(d.layerServed.bytes - d.layer.size).toLocaleString('en')} bytes more than one copy); all blobs ${d.served.blobs.toLocaleString('en')} bytes against ${d.budget.toLocaleString('en')} for one copy of each (${extra.toLocaleString('en')} extra)`,
    });
    await recordTestData(
      testInfo,
      'bandwidth',
      bandwidthRecord(d.run, {
        bytes: d.served.total,
        scope: 'the update through a link drop: every try, the cut-off layer included',
      }),
    );
    expect(d.run.exitCode, `the update completes through the drop: ${describeRun(d.run)}`).toBe(0);
    expect(
      d.retries.length,
      'pull tries that failed at the drop and were retried (the updater log)',
    ).toBeGreaterThanOrEqual(1);
    expect(d.layerServed.requests, 'the cut-off layer was requested again').toBeGreaterThanOrEqual(2);
    // The engine keeps no partial blob: the retry fetches the cut-off layer whole, so the extra is
    // what the registry sent of it before the drop, no more than one more copy.
    expect(d.layerServed.bytes, 'the layer served: one whole copy and the cut-off part').toBeGreaterThan(d.layer.size);
    expect(d.layerServed.bytes, 'no more than two copies of the layer').toBeLessThanOrEqual(d.layer.size * 2);
    await expectUpdated(scenario.board.device, before, sums, path);
  },
);
