// @boot: every 2.x release boots on the rig from resin-rootA with the 2.x layout, and the bootloader
// follows resinOS_uEnv.txt to resin-rootB.
import { test, expect, loadReleases, withRootBCopiedFromRootA } from '../harness/index.ts';

const releases = (await loadReleases()).filter((r) => r.layout === '2.x');
// The newest release is the smoke test `npm test` runs.
const smoke = releases.at(-1)!.version;

for (const release of releases) {
  test(`${release.version} boots from resin-rootA`, {
    tag: release.version === smoke ? ['@boot', '@smoke'] : ['@boot'],
  }, async ({ rig, device, board, imageFor }) => {
    const image = await imageFor(release.version);
    await board.flash(image.path);
    // Note: only this test's boots: the worker's console also holds earlier tests' boots, such as a
    // rollback test's deliberate kernel panic.
    const firstEvent = rig.console.bootEvents.events.length;

    await board.powerOn();

    await test.step('log in on the serial console', async () => {
      await rig.console.login();
      const osRelease = await rig.console.run('cat /etc/os-release');
      expect(osRelease.exitCode).toBe(0);
      expect(osRelease.stdout).toContain(`VERSION="${release.version}"`);
    });

    await board.toSsh();
    const state = await device.snapshot();
    await test
      .info()
      .attach('device-state.json', { body: JSON.stringify(state, null, 2), contentType: 'application/json' });

    expect(state).toHaveLayout('2.x');
    expect(state).toBootFrom('resin-rootA');
    expect(state.osRelease.VERSION).toBe(release.version);
    expect(state.osRelease.MACHINE).toBe(rig.deviceType);
    expect(state.bootEnv.resin_root_part).toBe('2');
    expect(
      rig.console.bootEvents.events.slice(firstEvent).filter((e) => e.kind === 'panic'),
      'kernel panics in this boot',
    ).toEqual([]);
  });
}

test('the bootloader follows resin_root_part to resin-rootB', { tag: ['@boot', '@smoke'] }, async ({
  rig,
  device,
  board,
  imageFor,
}) => {
  const image = await imageFor(smoke);
  await board.flash(await withRootBCopiedFromRootA(image.path));
  await board.powerOn();
  await board.toSsh();
  expect(await device.snapshot()).toBootFrom('resin-rootA');

  await test.step('switch resin_root_part to 3 and reboot', async () => {
    await device.check("sed -i 's/^resin_root_part=.*/resin_root_part=3/' /mnt/boot/resinOS_uEnv.txt && sync");
    const mark = board.mark();
    await board.rebootDetached();
    await board.followReboot('the OS on resin-rootB');
    expect(board.since(mark).boots, 'the reboot went through the bootloader once').toBe(1);
  });

  const state = await device.snapshot();
  expect(state).toBootFrom('resin-rootB');
  expect(state.bootEnv.resin_root_part).toBe('3');
  expect(rig.console.transcript()).toContain('[boot.scr] resin_root_part=3');
});
