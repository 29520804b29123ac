// Login snapshots on a real QEMU BeagleBone: the first start of an image boots and saves the board at
// its login prompt; the next resumes it (the card as it was then, nothing the last test wrote), with
// the device clock set; a snapshot that no longer loads is discarded and the board boots for real;
// a test that asks for the first boot gets one.
import { test, expect } from '@playwright/test';
import { $ } from 'zx';
import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Device } from '../../harness/device/device.ts';
import { startFromImage } from '../../harness/board/boot.ts';
import { imageForRelease } from '../../harness/image/release-image.ts';
import { createRig } from '../../harness/rig/create-rig.ts';
import { loadRigConfig, type QemuRigConfig } from '../../harness/rig/rig-config.ts';
import { discardLoginSnapshot, findLoginSnapshot } from '../../harness/rig/qemu/login-snapshot.ts';
import { loadReleases } from '../../images/lib/releases.ts';

test.describe.configure({ mode: 'serial', timeout: 600_000 });

test('a board resumes at the login prompt of its last real boot of the same image', async ({}, testInfo) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'hupbench-snapshot-'));
  const config = (await loadRigConfig('qemu-beaglebone-black')) as QemuRigConfig;
  const release = (await loadReleases()).filter((r) => r.layout === '2.x').at(-1)!;
  // A private copy of the card: its snapshot key is this test's own, whatever other runs saved.
  const image = path.join(dir, 'card.img');
  await $`cp --sparse=always ${(await imageForRelease(release.version, config.deviceType)).path} ${image}`;
  const rig = createRig(config, path.join(dir, 'rig'));
  const device = new Device(rig);
  const start = async (opts: { firstBoot?: boolean } = {}) => {
    const times = await startFromImage(rig, device, image, opts);
    testInfo.annotations.push({
      type: 'start',
      description: `${times.resumed ? 'resumed' : 'booted'}: SSH after ${(times.sshReadyMs! / 1000).toFixed(1)} s`,
    });
    return times;
  };
  const stop = async () => {
    await device.disconnect();
    await rig.power.off();
  };
  try {
    const booted = await start();
    expect(booted.resumed, 'no snapshot of a new image: a real boot').toBe(false);
    const saved = await findLoginSnapshot(config, image, 'qemu-system-arm');
    expect(saved, 'the real boot was saved at its login prompt').toBeDefined();
    await device.check('echo written-after-the-save > /mnt/data/after-save && sync');
    await stop();

    const resumed = await start();
    expect(resumed.resumed).toBe(true);
    expect(resumed.sshReadyMs!, 'resuming is faster than booting').toBeLessThan(booted.sshReadyMs!);
    expect((await device.exec('cat /mnt/data/after-save')).exitCode, 'the card is as the snapshot left it').not.toBe(0);
    const deviceClock = Number(await device.check('date +%s'));
    expect(
      Math.abs(deviceClock - Date.now() / 1000),
      'the device clock is the host clock, not the saved one',
    ).toBeLessThan(30);
    expect(rig.console.transcript()).toMatch(/resumed at the login prompt from snapshot/);
    await stop();

    // A snapshot that no longer loads (here: a cut-short state file) is dropped, not fatal.
    await truncate(saved!.state, 4096);
    const fallback = await start();
    expect(fallback.resumed, 'a broken snapshot: booted for real').toBe(false);
    expect(rig.console.transcript()).toMatch(/did not load .*discarded, booting for real/);
    const resaved = await findLoginSnapshot(config, image, 'qemu-system-arm');
    expect(resaved?.meta.savedAt, 'the real boot saved a new snapshot').not.toBe(saved!.meta.savedAt);
    await stop();

    const bannersBefore = rig.console.bootEvents.events.filter((e) => e.kind === 'bootloader').length;
    const first = await start({ firstBoot: true });
    expect(first.resumed, 'a test that needs the first boot gets one').toBe(false);
    expect(rig.console.bootEvents.events.filter((e) => e.kind === 'bootloader').length, 'U-Boot ran again').toBe(
      bannersBefore + 1,
    );
    await stop();
  } finally {
    await testInfo.attach('serial-console.log', { body: rig.console.transcript(), contentType: 'text/plain' });
    await device.disconnect().catch(() => undefined);
    await rig.dispose();
    const left = await findLoginSnapshot(config, image, 'qemu-system-arm').catch(() => undefined);
    if (left) await discardLoginSnapshot(left);
    await rm(dir, { recursive: true, force: true });
  }
});
