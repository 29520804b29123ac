// @hup: the updaters' other supervisor branch — a target that ships the supervisor the device already
// runs. Every release in images/releases.yaml ships a newer supervisor than the one before it, so the
// paths of the matrix only ever take the "newer → update" branch. Here the newest path of a class runs
// with its target shipping the source's supervisor: in the reference OS a release's supervisor is what
// releases.yaml maps it to and what the updater is told with --supervisor-version (the hostOS image
// carries none), so this is that release as the updater sees it; the registry holds both supervisors.
// - 2.x → 2.x: the updater says "not newer → no supervisor update", config.json keeps its supervisor,
//   the registry serves no supervisor manifest or blob from the update's start until the device runs
//   again, and the supervisor running after the reboot is the source's version.
// - 1.x → 2.x: the same words, and config.json keeps the source's supervisor; the migration removes
//   every image, so the first 2.x boot pulls that same supervisor again (once) and never the target's.
import {
  test,
  expect,
  bootSource,
  runUpdate,
  describeRun,
  expectSupervisorAndAppRunning,
  loadPaths2x,
  loadPaths1xTo2x,
  subjectPath,
  migrationTimeoutMs,
  recordTestData,
  bandwidthRecord,
  type ScenarioContext,
  type UpgradePath,
  imagePullAllowanceMs,
} from '../harness/index.ts';

/** A request in the registry's access log (harness/registry/access-log.ts). */
type AccessLogEntry = { method: string; path: string; status: number; bytes: number };

/** The path with its target shipping the source's supervisor. */
const sameSupervisor = (p: UpgradePath): UpgradePath => ({
  ...p,
  to: { ...p.to, supervisor: p.from.supervisor },
  supervisorUpdate: false,
});

const NO_UPDATE_LINE = /supervisor: (\S+) is not newer than the running (\S+): no supervisor update/;

/** The supervisor repository's requests in the registry's access log since `mark`. */
async function supervisorRequests(ctx: ScenarioContext, mark: number): Promise<AccessLogEntry[]> {
  const config = JSON.parse(await ctx.board.device.check('cat /mnt/boot/config.json'));
  const repository = String(config.supervisorImage)
    .replace(/^[^/]+:\d+\//, '')
    .replace(/:[^:/]+$/, '');
  const log = (await ctx.registry.started.accessLog()).slice(mark);
  return log.filter((e) => e.method === 'GET' && e.path.startsWith(`/v2/${repository}/`));
}

const describeRequests = (entries: AccessLogEntry[]) =>
  entries.map((e) => `${e.path} ${e.status} ${e.bytes} B`).join('\n') || '(none)';

const path2x = subjectPath(await loadPaths2x());
if (path2x) {
  const path = sameSupervisor(path2x);
  test(
    `2.x → 2.x, the target ships the running supervisor (${path.from.supervisor}): no supervisor update, nothing pulled for it`,
    {
      tag: ['@hup', '@2x'],
    },
    async ({ rig, scenario }, testInfo) => {
      test.setTimeout(rig.config.bootTimeoutSeconds * 1000 * 6 + imagePullAllowanceMs(rig));
      const { device } = scenario.board;
      const { before } = await bootSource(scenario, path);
      const configBefore = JSON.parse(await device.check('cat /mnt/boot/config.json'));
      const mark = await scenario.registry.started.mark();
      const run = await runUpdate(scenario, path);
      await testInfo.attach('updater.log', { body: run.log, contentType: 'text/plain' });
      expect(run.exitCode, describeRun(run)).toBe(0);
      expect(run.output, 'the updater says why it leaves the supervisor').toMatch(NO_UPDATE_LINE);
      const [, asked, running] = NO_UPDATE_LINE.exec(run.output)!;
      expect({ asked, running }).toEqual({ asked: path.from.supervisor, running: path.from.supervisor });
      // Through the reboot to the supervisor and the app running again: the window a pull would fall in.
      await expectSupervisorAndAppRunning(device, path.from.supervisor, { when: 'after the update' });
      const after = await device.snapshot();
      expect(after.osRelease.VERSION, 'the device runs the target').toBe(path.to.version);
      expect(after.activeRoot.partition).not.toBe(before.activeRoot.partition);
      const configAfter = JSON.parse(await device.check('cat /mnt/boot/config.json'));
      expect(configAfter.supervisorImage, 'config.json keeps its supervisor').toBe(configBefore.supervisorImage);
      const requests = await supervisorRequests(scenario, mark);
      const served = await scenario.registry.started.bytesServed(mark);
      await recordTestData(
        testInfo,
        'bandwidth',
        bandwidthRecord(run, { bytes: served.total, scope: 'the update and the reboot, until the services ran' }),
      );
      testInfo.annotations.push({
        type: 'bandwidth',
        description: `registry served ${served.total} bytes from the update's start to the services running after the reboot; supervisor requests: ${requests.length}`,
      });
      expect(
        requests,
        `supervisor requests served during the update and the reboot:\n${describeRequests(requests)}`,
      ).toEqual([]);
    },
  );
}

const path1x = subjectPath(await loadPaths1xTo2x());
if (path1x) {
  const path = sameSupervisor(path1x);
  test(
    `1.x → 2.x, the target ships the running supervisor (${path.from.supervisor}): config.json keeps it, the first 2.x boot pulls only it`,
    {
      tag: ['@hup', '@1x-2x'],
    },
    async ({ rig, scenario }, testInfo) => {
      test.setTimeout(migrationTimeoutMs(rig) * 2);
      const { device } = scenario.board;
      await bootSource(scenario, path);
      const configBefore = JSON.parse(await device.check('cat /mnt/boot/config.json'));
      const mark = await scenario.registry.started.mark();
      const run = await runUpdate(scenario, path);
      await testInfo.attach('updater.log', { body: run.log, contentType: 'text/plain' });
      expect(run.exitCode, describeRun(run)).toBe(0);
      expect(run.output, 'the updater says why it leaves the supervisor').toMatch(NO_UPDATE_LINE);
      await expectSupervisorAndAppRunning(device, path.from.supervisor, { when: 'on the first 2.x boot' });
      const after = await device.snapshot();
      expect(after).toHaveLayout('2.x');
      expect(after.osRelease.VERSION).toBe(path.to.version);
      const configAfter = JSON.parse(await device.check('cat /mnt/boot/config.json'));
      expect(configAfter.supervisorImage, 'config.json keeps its supervisor').toBe(configBefore.supervisorImage);
      const requests = await supervisorRequests(scenario, mark);
      testInfo.annotations.push({ type: 'supervisor-requests', description: describeRequests(requests) });
      const manifests = requests.filter((e) => e.path.includes('/manifests/'));
      expect(manifests.length, `supervisor manifests requested:\n${describeRequests(requests)}`).toBeGreaterThan(0);
      for (const m of manifests)
        expect(m.path, 'only the running supervisor is pulled again').toMatch(
          new RegExp(`/manifests/(v${path.from.supervisor.replace(/\./g, '\\.')}|sha256:[0-9a-f]+)$`),
        );
    },
  );
}
