// @history: devices in a fleet do not start from a fresh card for every update. Each test is one
// history on one device without reflashing — an update rolls back and the operator updates again, a
// second update comes while the first one's trial runs, an update is refused and retried, a device
// is updated twice in a row — and after *every* step asserts the device's state, the boot selection
// (resin_root_part, upgrade_available, the bootcounts U-Boot printed, bootcount.env, every file in
// /mnt/state) and resin-data bit for bit (harness/assertions/history-state.ts). Whatever the first
// attempt left behind is what breaks the second one in the field. Each history's timeline (one row
// per step, with its boot events) is attached as JSON and markdown and recorded for the summary.
//
// Releases: A, B, C are the three newest 2.x releases (2.0.0+rev2, 2.9.7+rev1, 2.12.3+rev1).
import {
  test,
  expect,
  loadReleases,
  compareVersions,
  pathBetween,
  newOsFaults,
  registryDown,
  runUpdate,
  describeRun,
  bootSource,
  breakNewOsAndFollowRollback,
  updateThroughOutage,
  expectSupervisorAndAppRunning,
  setHealthWindow,
  type History,
  type AfterStep,
  updateAndKeep,
  expectUpdatedInto,
  keepTrial,
  VARIABLES,
  PREVIOUS,
  settledState,
  trialState,
  engineStore,
  rootVersion,
  blobPullsSince,
  targetBlobs,
  hostOsConfigDigest,
  registryTag,
  runHistory,
  spareRoot,
  type NewOsFault,
  type ScenarioContext,
  type HealthWindow,
  imagePullAllowanceMs,
} from '../harness/index.ts';

const [A, B, C] = (await loadReleases())
  .filter((r) => r.layout === '2.x')
  .sort((a, b) => compareVersions(a.version, b.version))
  .slice(-3);
const AB = pathBetween(A!, B!);
const AC = pathBetween(A!, C!);
const BC = pathBetween(B!, C!);

/** A version as a regular expression. */
const literal = (s: string) => s.replace(/[.+]/g, '\\$&');

/** A fresh 2.x device: booted on rootA, no trial ever run. */
const freshA = {
  version: A!.version,
  root: 'resin-rootA' as const,
  upgradeAvailable: '0' as const,
  bootcounts: [],
  bootcountEnv: false,
  stateFiles: [VARIABLES],
};

/** Boots A with user data, supervisor and app, publishes the paths the history takes later; asserts the state. */
async function bootA(h: History, after: AfterStep, ctx: ScenarioContext, also: (typeof AB)[]) {
  const s1 = await h.step(`boot ${A!.version} with user data, supervisor and app`, async () => {
    await bootSource(ctx, AB);
    for (const p of also) await ctx.registry.publishPath(p);
  });
  await after(s1, freshA);
  return s1;
}

const rollbackFaults: NewOsFault[] = [
  newOsFaults['broken-init']!,
  newOsFaults['broken-engine']!,
  newOsFaults['broken-supervisor']!,
];

for (const fault of rollbackFaults) {
  const title = `history: ${fault.caughtBy} rollback (${fault.name} in ${B!.version}), then update to ${C!.version}`;
  test(title, { tag: ['@history'] }, async ({ rig, scenario }) => {
    test.setTimeout(rig.config.bootTimeoutSeconds * 1000 * 18 + 2 * imagePullAllowanceMs(rig));
    await runHistory(scenario, title, async (h, after) => {
      const base = { bootcounts: [], bootcountEnv: false };
      await bootA(h, after, scenario, [AC]);

      const s2 = await h.step(`update to ${B!.version} (--no-reboot)`, () =>
        runUpdate(scenario, AB, { extraArgs: ['--no-reboot'] }),
      );
      expectUpdatedInto(s2.value, 'resin-rootB');
      await after(s2, {
        ...base,
        version: A!.version,
        root: 'resin-rootA',
        bootRoot: 'resin-rootB',
        upgradeAvailable: '1',
        stateFiles: trialState,
      });

      const s3 = await h.step(`${fault.name} in ${B!.version}; reboot; rollback by ${fault.caughtBy}`, () =>
        breakNewOsAndFollowRollback(scenario, fault, s2.state),
      );
      expect(s3.value.verdict.mechanism, s3.value.verdict.line).toBe(fault.caughtBy);
      const verdictFiles =
        fault.caughtBy === 'altboot'
          ? ['rollback-altboot-triggered']
          : ['rollback-health-failed', 'rollback-health-triggered'];
      await after(s3, {
        version: A!.version,
        root: 'resin-rootA',
        upgradeAvailable: '0',
        bootcounts: fault.caughtBy === 'altboot' ? [1, 2, 3, 4] : [1],
        bootcountEnv: false,
        stateFiles: [...verdictFiles, ...settledState],
      });

      // The second trial counts from zero (bootcount=1 on its first boot) and nothing of the first
      // trial's verdict is left in /mnt/state: updateAndKeep asserts both.
      const { kept } = await updateAndKeep(h, after, scenario, {
        path: AC,
        target: C!,
        spare: 'resin-rootB',
        name: `update to ${C!.version} (a good release)`,
        onTrial: async () =>
          expect(
            (await scenario.board.device.check(`cat /mnt/state/${PREVIOUS}`)).trim(),
            'the version the trial would roll back to',
          ).toBe(A!.version),
        read: () => engineStore(scenario.board.device),
      });
      await expectEngineOf(scenario, kept.value!, C!.version);
    });
  });
}

/** The engine store holds the target's hostOS image as the registry has it; the supervisor is the target's. */
async function expectEngineOf(ctx: ScenarioContext, store: Awaited<ReturnType<typeof engineStore>>, version: string) {
  await test.step(`the engine store and the supervisor are ${version}'s`, async () => {
    const ref = `resin/resinos:${registryTag(version, ctx.board.rig.deviceType)}`;
    const { manifest } = await ctx.registry.started.client.getManifest(ref);
    const tagged = store.repositories.find((r) => r.ref === ref);
    expect(
      tagged?.id,
      `${ref} in the engine store (/mnt/data/docker/repositories: ${JSON.stringify(store.repositories)})`,
    ).toBe(manifest.config.digest.replace(/^sha256:/, ''));
    const config = JSON.parse(await ctx.board.device.check('cat /mnt/boot/config.json'));
    const supervisor = C!.version === version ? C!.supervisor : B!.supervisor;
    expect(config.supervisorImage, "config.json names the target's supervisor").toMatch(
      new RegExp(`:v${supervisor.replace(/\./g, '\\.')}$`),
    );
  });
}

test(`history: ${A!.version} → ${B!.version} kept, then ${B!.version} → ${C!.version}`, { tag: ['@history'] }, async ({
  rig,
  scenario,
}) => {
  test.setTimeout(rig.config.bootTimeoutSeconds * 1000 * 16 + 2 * imagePullAllowanceMs(rig));
  const title = `twice in a row: ${A!.version} → ${B!.version} → ${C!.version}`;
  await runHistory(scenario, title, async (h, after) => {
    await bootA(h, after, scenario, [BC]);

    const { kept: s3 } = await updateAndKeep(h, after, scenario, {
      path: AB,
      target: B!,
      spare: 'resin-rootB',
      read: async () => ({
        store: await engineStore(scenario.board.device),
        mark: await scenario.registry.started.mark(),
      }),
    });
    const onDevice = s3.value!;
    await updateAndKeep(h, after, scenario, { path: BC, target: C!, spare: 'resin-rootA' });

    await test.step(`the bytes pulled for ${C!.version} exclude what was on the device`, async () => {
      const pulls = await blobPullsSince(scenario, onDevice.mark);
      const stored = new Set(onDevice.store.blobs);
      const wanted = await targetBlobs(scenario, C!);
      const config = await hostOsConfigDigest(scenario, C!.version);
      const pulled = pulls.map((p) => p.digest);
      const table = pulls.map((p) => `${p.repository} ${p.digest.slice(0, 12)} ${p.bytes} B`).join('\n');
      expect(
        pulled.filter((d) => stored.has(d)),
        `blobs pulled that were already in the engine store:\n${table}`,
      ).toEqual([]);
      // The hostOS config: once by the updater's spare-fit check, once by the engine (history-steps.ts).
      const configFetches = pulled.filter((d) => d === config).length;
      expect(
        configFetches,
        `fetches of ${C!.version}'s image config (the check's read, the engine's pull)`,
      ).toBeLessThanOrEqual(2);
      expect(
        pulled.filter((d, i) => d !== config && pulled.indexOf(d) !== i),
        `blobs pulled more than once:\n${table}`,
      ).toEqual([]);
      const configBytes = wanted.get(config) ?? 0;
      const budget =
        [...wanted].filter(([d]) => !stored.has(d)).reduce((sum, [, size]) => sum + size, 0) +
        configBytes * Math.max(0, configFetches - 1);
      const bytes = pulls.reduce((sum, p) => sum + p.bytes, 0);
      test.info().annotations.push({
        type: 'bandwidth',
        description: `${C!.version}: ${bytes} B of blobs pulled, ${budget} B not yet on the device (its ${configBytes} B image config fetched ${configFetches}×: the updater's check, then the engine)`,
      });
      expect(bytes, `blob bytes pulled for ${C!.version}:\n${table}`).toBeLessThanOrEqual(budget);
    });
  });
});

/** A trial window long enough to start a second update in it on the slowest rig (4 checks, 30 s apart). */
const longTrial: HealthWindow = { count: 4, timeoutSeconds: 30 };

// Rule (written in upgrade-2.x.sh's checks): an update started while another is on trial (running
// from the root the boot settings name, upgrade_available=1, rollback-health's breadcrumb present) is
// refused with exit 1 before anything is touched — the spare root it would reformat is the trial's
// way back. Once rollback-health has kept (or rolled back) the trial, updating again is allowed.
test(`history: a second update during ${B!.version}'s trial is refused; the trial completes`, {
  tag: ['@history'],
}, async ({ rig, scenario }) => {
  test.setTimeout(rig.config.bootTimeoutSeconds * 1000 * 16 + 2 * imagePullAllowanceMs(rig));
  const title = `during a trial: ${A!.version} → ${B!.version}, then ${C!.version} before the verdict`;
  await runHistory(scenario, title, async (h, after) => {
    const base = { bootcounts: [], bootcountEnv: false };
    await bootA(h, after, scenario, [BC]);
    await setHealthWindow(scenario.board.device, longTrial);

    const s2 = await h.step(`update to ${B!.version}`, () => runUpdate(scenario, AB));
    expectUpdatedInto(s2.value, 'resin-rootB');
    const onTrial = {
      version: B!.version,
      root: 'resin-rootB' as const,
      upgradeAvailable: '1' as const,
      bootcountEnv: true,
      stateFiles: trialState,
    };
    await after(s2, { ...onTrial, bootcounts: [1] });

    const spare = spareRoot(s2.state);
    const s3 = await h.step(`update to ${C!.version} while ${B!.version} is on trial`, async () => {
      const run = await runUpdate(scenario, BC, { expectReboot: false, stepPrefix: 'during the trial: ' });
      return { run, spareVersion: await rootVersion(scenario.board.device, spare.device) };
    });
    const { run } = s3.value;
    expect(run.exitCode, `the second update during the trial is refused: ${describeRun(run)}`).toBe(1);
    expect(run.error ?? '', 'the refusal names the pending trial').toMatch(
      new RegExp(`on trial: ${literal(A!.version)} -> ${literal(B!.version)}.*rollback-health's verdict`),
    );
    expect(
      run.phases.map((p) => p.name).filter((p) => p !== 'checks'),
      'no phase past the checks',
    ).toEqual([]);
    expect(s3.value.spareVersion, `the trial's way back, ${spare.label}, still holds ${A!.version}`).toBe(A!.version);
    // Still on trial: the refusal came before the verdict and changed nothing.
    await after(s3, { ...onTrial, bootcounts: [] });

    const s4 = await h.step(`rollback-health keeps ${B!.version}`, () => keepTrial(scenario, B!.supervisor, longTrial));
    await after(s4, {
      ...base,
      version: B!.version,
      root: 'resin-rootB',
      upgradeAvailable: '0',
      stateFiles: settledState,
    });

    const s5 = await h.step(`update to ${C!.version} after the verdict`, () => runUpdate(scenario, BC));
    expectUpdatedInto(s5.value, 'resin-rootA');
    await after(s5, {
      version: C!.version,
      root: 'resin-rootA',
      upgradeAvailable: '1',
      bootcounts: [1],
      bootcountEnv: true,
      stateFiles: trialState,
    });
  });
});

test(`history: ${registryDown.name} during the pull, then the update again`, { tag: ['@history'] }, async ({
  rig,
  scenario,
}) => {
  test.setTimeout(rig.config.bootTimeoutSeconds * 1000 * 12 + 2 * imagePullAllowanceMs(rig));
  const title = `after a refusal: ${registryDown.name} during the pull of ${C!.version}, then up`;
  await runHistory(scenario, title, async (h, after) => {
    const base = { bootcounts: [], bootcountEnv: false };
    const s1 = await h.step(`boot ${B!.version} with user data, supervisor and app`, async () => {
      await bootSource(scenario, BC);
      return { store: await engineStore(scenario.board.device), mark: await scenario.registry.started.mark() };
    });
    const fresh = {
      ...base,
      version: B!.version,
      root: 'resin-rootA' as const,
      upgradeAvailable: '0' as const,
      stateFiles: [VARIABLES],
    };
    await after(s1, fresh);

    const s2 = await h.step(`update to ${C!.version}; the registry stops during the pull`, async () => {
      const failed = await updateThroughOutage(scenario, BC, registryDown);
      await expectSupervisorAndAppRunning(scenario.board.device, B!.supervisor, { when: 'after the failed update' });
      return failed;
    });
    expect(s2.value.injected, `the updater reached the pull (${describeRun(s2.value)})`).toBeDefined();
    expect(s2.value.exitCode, `the updater fails cleanly: ${describeRun(s2.value)}`).toBe(1);
    expect(s2.value.error ?? '', 'the failure names what went wrong').toMatch(registryDown.message);
    await after(s2, fresh);

    await updateAndKeep(h, after, scenario, {
      path: BC,
      target: C!,
      spare: 'resin-rootB',
      name: `update to ${C!.version} again, the registry up`,
    });

    await test.step('nothing pulled twice over both attempts', async () => {
      const pulls = await blobPullsSince(scenario, s1.value.mark);
      const sizes = await targetBlobs(scenario, C!);
      const onDevice = new Set(s1.value.store.blobs);
      const config = await hostOsConfigDigest(scenario, C!.version);
      const whole = pulls.filter((p) => sizes.get(p.digest) === p.bytes).map((p) => p.digest);
      const table = pulls
        .map((p) => `${p.repository} ${p.digest.slice(0, 12)} ${p.bytes} of ${sizes.get(p.digest) ?? '?'} B`)
        .join('\n');
      test.info().annotations.push({ type: 'pulls', description: table.replace(/\n/g, '; ') });
      // The hostOS config: read by each run's spare-fit check, and pulled once by the engine (history-steps.ts).
      expect(
        whole.filter((d) => d === config).length,
        `fetches of ${C!.version}'s image config (each run's check, one engine pull)`,
      ).toBeLessThanOrEqual(3);
      expect(
        whole.filter((d, i) => d !== config && whole.indexOf(d) !== i),
        `blobs served whole more than once:\n${table}`,
      ).toEqual([]);
      expect(
        pulls.filter((p) => onDevice.has(p.digest)),
        `blobs pulled that were already on the device:\n${table}`,
      ).toEqual([]);
      expect(
        pulls.filter((p) => !sizes.has(p.digest)),
        `blobs pulled that ${C!.version}'s update does not need:\n${table}`,
      ).toEqual([]);
    });
  });
});
