// @rollback: an update whose new OS is broken must end on the old OS, with its data, by the mechanism
// the fault calls for. The updater runs with --no-reboot, the fault is applied to what it wrote, and
// the reboot into the new OS is followed on the console to the end:
// - altboot (broken init): U-Boot counts the failed boots, gives up past the limit, boots the old
//   root; rollback-altboot restores the boot settings and reboots.
// - health (broken engine or supervisor): the new OS boots, rollback-health's checks fail, it
//   switches back and reboots.
// - bootloader default (corrupt resinOS_uEnv.txt): U-Boot boots partition 2; rollback-altboot
//   rewrites sane settings.
import {
  test,
  expect,
  BOOT_LIMIT,
  faults,
  loadPaths2x,
  subjectPath,
  runUpdater,
  describeRun,
  updaterScript,
  bootSourceForUpdate,
  expectOnConsole,
  expectOsBack,
  dataChecksums,
  heartbeats,
  testHealthWindow,
  rollbackVerdict,
  type Fault,
  type RollbackMechanism,
} from '../harness/index.ts';

// The newest target from the newest source below it: the update a fleet would take next; in a
// release gate, the path to the gated release (none when it is not a 2.x release: 1.x has no rollback).
const path = subjectPath(await loadPaths2x());

/** Boots from the reboot into the new OS until the device settles, per mechanism. */
const expectedBoots: Record<RollbackMechanism, number> = {
  // BOOT_LIMIT failed boots, the one past the limit (old root, altboot reboots), the clean one.
  altboot: BOOT_LIMIT + 2,
  // The new OS (fails its checks and reboots), then the old one.
  health: 2,
  // The old root by default (altboot rewrites the settings and reboots), then a clean boot.
  'bootloader-default': 2,
};

if (path)
  for (const fault of Object.values(faults) as Fault[]) {
    test(
      `rollback: ${fault.name} (${path.name})`,
      { tag: ['@rollback'] },
      async ({ rig, device, imageFor, registry }, testInfo) => {
        // Up to five boots plus an update (and a second one after broken-init): scale with the rig.
        test.setTimeout(rig.config.bootTimeoutSeconds * 1000 * 10);
        testInfo.annotations.push({ type: 'fault', description: `${fault.name}: ${fault.description}` });
        testInfo.annotations.push({ type: 'guarantee', description: fault.guarantee });

        await test.step(`publish both releases; boot ${path.from.version} with the supervisor and the app`, () =>
          bootSourceForUpdate({ rig, device, registry, imageFor }, path));
        const before = await device.snapshot();
        const sumsBefore = await dataChecksums(device);
        const oldPart = String(before.activeRoot.partition);
        const spareLabel = before.activeRoot.label === 'resin-rootA' ? 'resin-rootB' : 'resin-rootA';
        const spare = before.partitions.find((p) => p.label === spareLabel);
        if (!spare) throw new Error(`no ${spareLabel} partition on the device: ${JSON.stringify(before.partitions)}`);

        const run = await runUpdater(device, rig, {
          script: updaterScript(path.updater),
          args: ['--hostos-version', path.to.version, '--supervisor-version', path.to.supervisor, '--no-reboot'],
          step: (name, body) => test.step(name, body),
        });
        await testInfo.attach('updater.log', { body: run.log, contentType: 'text/plain' });
        expect(run.exitCode, `upgrade-2.x.sh --no-reboot ${describeRun(run)}`).toBe(0);

        await test.step(`apply ${fault.name} to the new OS on ${spare.device}`, () =>
          fault.apply({ device, newRootDevice: spare.device }));

        const firstEvent = rig.console.bootEvents.events.length;
        const firstLine = rig.console.transcript().split('\n').length;
        const bootTimeoutMs = rig.config.bootTimeoutSeconds * 1000;
        await device.exec('(sleep 1; reboot) < /dev/null > /dev/null 2>&1 &');
        await device.disconnect();

        await test.step(`the device rolls back by ${fault.caughtBy}`, async () => {
          if (fault.caughtBy === 'altboot') {
            await expectOnConsole(rig, /WARNING! BOOTLIMIT EXCEEDED\. SWITCHING TO PREVIOUS ROOT/, {
              timeoutMs: bootTimeoutMs * (BOOT_LIMIT + 1),
              what: `U-Boot giving up on the new OS after ${BOOT_LIMIT} failed boots`,
            });
            await expectOnConsole(rig, /\[rollback-altboot\] boot settings restored/, {
              timeoutMs: bootTimeoutMs,
              what: 'rollback-altboot restoring the boot settings on the old OS',
            });
          } else if (fault.caughtBy === 'health') {
            const windowMs = testHealthWindow.count * testHealthWindow.timeoutSeconds * 1000;
            await expectOnConsole(rig, /\[rollback-health\] failed/, {
              timeoutMs: bootTimeoutMs + windowMs + 60_000,
              what: `rollback-health failing the new OS within its ${windowMs / 1000}s window`,
            });
          } else {
            await expectOnConsole(rig, /invalid resin_root_part/, {
              timeoutMs: bootTimeoutMs,
              what: 'the boot script rejecting the corrupt resin_root_part',
            });
            await expectOnConsole(rig, /\[rollback-altboot\] boot settings restored/, {
              timeoutMs: bootTimeoutMs,
              what: 'rollback-altboot rewriting the boot settings',
            });
          }
          await expectOsBack(rig, device, 'the old OS after the rollback');
        });

        const after = await device.snapshot();
        await testInfo.attach('device-state.json', {
          body: JSON.stringify({ before, after }, null, 2),
          contentType: 'application/json',
        });
        const events = rig.console.bootEvents.events.slice(firstEvent);
        const verdict = rollbackVerdict({
          events,
          stateFiles: after.stateFiles,
          consoleText: rig.console.transcript().split('\n').slice(firstLine).join('\n'),
          finalRoot: after.activeRoot.label ?? `partition ${after.activeRoot.partition}`,
          finalVersion: after.osRelease.VERSION ?? '?',
        });
        testInfo.annotations.push({ type: 'verdict', description: verdict.line });
        await testInfo.attach('verdict.txt', { body: `${fault.name}: ${verdict.line}\n`, contentType: 'text/plain' });

        await test.step('the mechanism and the number of boots are the expected ones', async () => {
          expect(verdict.mechanism, verdict.line).toBe(fault.caughtBy);
          expect(verdict.boots, `boots from the reboot to the settled device (${verdict.line})`).toBe(
            expectedBoots[fault.caughtBy],
          );
          if (fault.caughtBy === 'altboot') {
            const counts = events
              .filter((e) => e.kind === 'bootcount')
              .map((e) => Number(e.line.match(/bootcount=(\d+)/)?.[1]));
            expect(counts, 'U-Boot counted one more boot each time, up to one past the limit').toEqual(
              Array.from({ length: BOOT_LIMIT + 1 }, (_, i) => i + 1),
            );
            expect(events.filter((e) => e.kind === 'panic').length, 'the new OS panicked on each of its boots').toBe(
              BOOT_LIMIT,
            );
          }
        });

        await test.step('back on the old root and version, with sane boot settings', async () => {
          expect(after).toBootFrom(before.activeRoot.label!);
          expect(after.osRelease.VERSION).toBe(path.from.version);
          expect(after.bootEnv).toMatchObject({ resin_root_part: oldPart, upgrade_available: '0' });
          expect(
            await device.exec('test -e /mnt/boot/bootcount.env'),
            'bootcount.env removed when the trial ended',
          ).toMatchObject({ exitCode: 1 });
        });

        await test.step('breadcrumbs say what happened', async () => {
          const rollbackFiles = after.stateFiles
            .filter(
              (f) =>
                f.startsWith('rollback-') && f !== 'rollback-health-variables' && f !== 'rollback-previous-version',
            )
            .sort();
          const expected =
            fault.caughtBy === 'health'
              ? ['rollback-health-failed', 'rollback-health-triggered']
              : ['rollback-altboot-triggered'];
          expect(rollbackFiles, 'rollback files in /mnt/state').toEqual(expected);
          if (fault.caughtBy === 'health') {
            const reason = await device.check('cat /mnt/state/rollback-health-failed');
            testInfo.annotations.push({ type: 'health-failure', description: reason.trim() });
            expect(reason).toMatch(fault.name === 'broken-engine' ? /engine/ : /supervisor/);
          }
        });

        await test.step('resin-data intact and the app running again', async () => {
          expect(await dataChecksums(device)).toEqual(sumsBefore);
          const last = Math.max(0, ...(await heartbeats(device)));
          await expect
            .poll(async () => Math.max(0, ...(await heartbeats(device))), {
              timeout: 180_000,
              intervals: [2000],
              message: 'the app heartbeat advancing on the old OS',
            })
            .toBeGreaterThan(last);
        });

        if (fault.name === 'broken-init') {
          await test.step('a clean update afterwards succeeds', async () => {
            const again = await runUpdater(device, rig, {
              script: updaterScript(path.updater),
              args: ['--hostos-version', path.to.version, '--supervisor-version', path.to.supervisor],
              step: (name, body) => test.step(`retry: ${name}`, body),
            });
            await testInfo.attach('updater-retry.log', { body: again.log, contentType: 'text/plain' });
            expect(again.exitCode, `retry ${describeRun(again)}`).toBe(0);
            const state = await device.snapshot();
            expect(state).toBootFrom(spareLabel);
            expect(state.osRelease.VERSION).toBe(path.to.version);
            expect(state.stateFiles, 'the retry cleared the earlier verdict').not.toContain(
              'rollback-altboot-triggered',
            );
          });
        }
      },
    );
  }
