// @boot-files: a 2.x → 2.x update replaces resin-boot's files with the target's and the board then boots
// through them. The path is the oldest 2.x source to the newest target, the one whose boot files differ
// most (boot script and U-Boot environment revisions; on the Pi also U-Boot itself, bullseye's 2021.01
// before bookworm's 2023.01, config.txt and the device trees). Asserted against the two releases' own
// cards (read on the host with mtools), not against what the updater says it did:
// - every file of the target's resin-boot is on the device byte for byte (sha256), except the device's own;
// - the device's own files are as they were: a network settings file and (Pi) a line of its own in
//   config.txt planted before the update, config.json but for the supervisor the update names, and the
//   boot settings as the updater switched them;
// - the first boot after the update prints the target's boot script and environment revisions on the
//   serial console, the kernel got them on its command line, and on the Pi the kernel was booted by the
//   target's U-Boot (the version it writes into the device tree), not the source's.
import {
  test,
  expect,
  loadPaths2x,
  findRelease,
  bootSource,
  runUpdate,
  describeRun,
  spareRoot,
  type Device,
  type UpgradePath,
  imagePullAllowanceMs,
} from '../harness/index.ts';
import { cardBootFiles } from '../harness/release/release-contents.ts';
import { bootRevisions, bootScriptBanner, ubootVersionIn } from '../images/lib/release-boot.ts';

/** Files an update leaves as the device has them (upgrade-2.x.sh's and balenaOS's keep list). */
const deviceOwn = (f: string) =>
  /^(config\.json|resinOS_uEnv\.txt|bootcount\.env|config\.txt|extra_uEnv\.txt)$|^(system-connections|splash)\//.test(
    f,
  );

const KEPT_CONNECTION = 'system-connections/hupbench-kept';
const KEPT_CONFIG_LINE = '# the device owner’s own line, kept through updates';

/** sha256 of every file on the device's resin-boot, by path relative to it. */
async function deviceBootFiles(device: Device): Promise<Record<string, string>> {
  const out = await device.check('cd /mnt/boot && find . -type f -exec sha256sum {} +');
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => l.match(/^([0-9a-f]{64})\s+\.\/(.+)$/))
      .filter((m): m is RegExpMatchArray => m !== null)
      .map((m) => [m[2]!, m[1]!]),
  );
}

/**
 * The U-Boot that booted the running kernel, as it names itself in the device tree it hands over
 * (/chosen/u-boot,version, which U-Boot writes since 2021.10: bookworm's 2023.01 does, bullseye's
 * 2021.01 does not). On the Pi U-Boot's own banner never reaches the console the rig reads: it prints
 * it before it moves to the mini-UART.
 */
async function ubootThatBooted(device: Device): Promise<string | undefined> {
  const r = await device.exec("tr -d '\\000' < /proc/device-tree/chosen/u-boot,version");
  return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/**
 * On a board whose card carries U-Boot (the Pi): the target's booted the kernel after the update.
 * `source`/`target`: the versions in the cards' u-boot.bin; `before`: what booted the source.
 */
async function expectTargetUboot(device: Device, uboot: { before?: string; source?: string; target?: string }) {
  const after = await ubootThatBooted(device);
  test.info().annotations.push({
    type: 'U-Boot that booted the kernel',
    description: `before: ${uboot.before ?? 'not named'}; after: ${after ?? 'not named'}`,
  });
  if (!uboot.target) return;
  expect(after, "the target's U-Boot booted the kernel (/chosen/u-boot,version)").toBe(uboot.target);
  if (uboot.source !== uboot.target)
    expect(uboot.before, "the source's U-Boot had booted it before").not.toBe(uboot.target);
}

const paths = await loadPaths2x();
const newest = [...new Set(paths.map((p) => p.to.version))].at(-1);
const subject: UpgradePath | undefined = paths.filter((p) => p.to.version === newest).at(0);

if (subject) {
  const path = subject;
  test(
    `boot files: ${path.name} replaces resin-boot's files and boots through the new ones`,
    {
      tag: ['@boot-files', '@2x'],
    },
    async ({ rig, device, scenario, imageFor }, testInfo) => {
      test.setTimeout(rig.config.bootTimeoutSeconds * 1000 * 6 + imagePullAllowanceMs(rig));
      const [from, to] = await Promise.all([findRelease(path.from.version), findRelease(path.to.version)]);
      const uboot: Record<string, string | undefined> = {};
      const cardFiles = async (version: string) =>
        cardBootFiles((await imageFor(version)).path, (name, bytes) => {
          if (name === 'u-boot.bin') uboot[version] = ubootVersionIn(bytes);
        });
      const [sourceCard, targetCard] = [await cardFiles(from.version), await cardFiles(to.version)];
      const { before } = await bootSource(scenario, path);
      let ubootBefore: string | undefined;

      const onDeviceBefore =
        await test.step('the source boots its own boot files; plant files of its own', async () => {
          ubootBefore = await ubootThatBooted(device);
          const cmdline = await device.check('cat /proc/cmdline');
          expect(cmdline, 'the source was booted by its own boot script').toContain(
            `hupbench.boot_script=${bootRevisions(from).script} hupbench.boot_env=${bootRevisions(from).env}`,
          );
          await device.check(
            `mkdir -p /mnt/boot/system-connections && printf '[connection]\\nid=hupbench-kept\\ntype=ethernet\\n' > /mnt/boot/${KEPT_CONNECTION}`,
          );
          if (targetCard['config.txt']) await device.check(`echo '${KEPT_CONFIG_LINE}' >> /mnt/boot/config.txt`);
          await device.check('sync');
          const files = await deviceBootFiles(device);
          const toChange = Object.keys(targetCard).filter((f) => !deviceOwn(f) && files[f] !== targetCard[f]!.sha256);
          testInfo.annotations.push({ type: 'boot files to change', description: toChange.join(', ') });
          expect(toChange, "the target's boot files differ from the source's (else this test could not fail)").toEqual(
            expect.arrayContaining(['boot.scr', 'bootenv.txt']),
          );
          return files;
        });
      const configBefore = JSON.parse(await device.check('cat /mnt/boot/config.json'));

      const mark = scenario.board.mark();
      const run = await runUpdate(scenario, path);
      await testInfo.attach('updater.log', { body: run.log, contentType: 'text/plain' });
      expect(run.exitCode, describeRun(run)).toBe(0);
      const phase = run.phases.find((p) => p.name === 'boot-files');
      testInfo.annotations.push({
        type: 'boot-files phase',
        description: `${((phase?.durationMs ?? Number.NaN) / 1000).toFixed(1)} s; ${run.output.match(/boot files: .*/)?.[0] ?? 'no summary line'}`,
      });

      await test.step("resin-boot holds the target's boot files, byte for byte", async () => {
        const after = await deviceBootFiles(device);
        const wrong = Object.entries(targetCard)
          .filter(([f]) => !deviceOwn(f))
          .filter(([f, card]) => after[f] !== card.sha256)
          .map(([f]) => `${f}: ${after[f] ? 'differs from' : 'missing, in'} the target's card`);
        expect(wrong, `boot files not the target's (source card had ${Object.keys(sourceCard).join(', ')})`).toEqual(
          [],
        );
        const leftovers = Object.keys(after).filter((f) => f.endsWith('.hup-new'));
        expect(leftovers, 'no temporary boot files left behind').toEqual([]);
        const old = Object.keys(after).filter((f) => !deviceOwn(f) && !targetCard[f]);
        if (old.length) testInfo.annotations.push({ type: 'old boot files left', description: old.join(', ') });
      });

      await test.step("the device's own files are as they were", async () => {
        const after = await deviceBootFiles(device);
        expect(after[KEPT_CONNECTION], `${KEPT_CONNECTION} kept`).toBe(onDeviceBefore[KEPT_CONNECTION]);
        if (targetCard['config.txt']) {
          expect(after['config.txt'], "the device's config.txt kept").toBe(onDeviceBefore['config.txt']);
          expect(await device.check('cat /mnt/boot/config.txt')).toContain(KEPT_CONFIG_LINE);
        }
        const { supervisorImage: _, ...configAfter } = JSON.parse(await device.check('cat /mnt/boot/config.json'));
        const { supervisorImage: __, ...configKept } = configBefore;
        expect(configAfter, 'config.json kept (the supervisor aside)').toEqual(configKept);
        const env = (await device.check('cat /mnt/boot/resinOS_uEnv.txt')).trim();
        expect(env, 'resinOS_uEnv.txt: the switch to the new root, not the target card file').toContain(
          `resin_root_part=${spareRoot(before).label === 'resin-rootA' ? 2 : 3}`,
        );
      });

      await test.step('the board booted through the new boot files', async () => {
        const shown = scenario.board.since(mark).text;
        await testInfo.attach('console-after-update.txt', { body: shown, contentType: 'text/plain' });
        expect(shown, "the target's boot script ran").toContain(bootScriptBanner(to));
        expect(shown, "the source's boot script did not").not.toContain(bootScriptBanner(from));
        expect(shown, "the target's U-Boot environment was imported").toContain(
          `[boot.scr] U-Boot environment rev ${bootRevisions(to).env}`,
        );
        await expectTargetUboot(device, {
          before: ubootBefore,
          source: uboot[from.version],
          target: uboot[to.version],
        });
        expect(await device.check('cat /proc/cmdline'), 'the kernel was started by the new boot script').toContain(
          `hupbench.boot_script=${bootRevisions(to).script} hupbench.boot_env=${bootRevisions(to).env}`,
        );
        expect((await device.snapshot()).osRelease.VERSION).toBe(to.version);
      });
    },
  );
}
