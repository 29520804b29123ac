// @sanity: upgrade-2.x.sh refuses what it must refuse, before touching anything: a clear message, a
// non-zero exit (9 when the update lock is held), and the device exactly as it was (partition table,
// labels, boot environment, active root, os-release, /mnt/state, resin-data checksums).
import {
  test,
  expect,
  loadReleases,
  startFromImage,
  runUpdater,
  describeRun,
  updaterScript,
  prepareDevice,
  seedData,
  dataChecksums,
  stableState,
  type Device,
  type Rig,
  type TestRegistry,
} from '../harness/index.ts';

const releases = (await loadReleases()).filter((r) => r.layout === '2.x');
const [oldest, middle, newest] = [releases.at(0)!, releases.at(-2)!, releases.at(-1)!];

interface Refusal {
  name: string;
  /** Runs on the booted source device before the updater (and returns its undo). */
  arrange?: (device: Device, registry: TestRegistry) => Promise<(() => Promise<void>) | void>;
  args: (registry: TestRegistry) => string[];
  exitCode: number;
  message: RegExp;
}

const refusals: Refusal[] = [
  {
    name: 'wrong device type (no --force-slug)',
    // Any device type but the rig's own.
    arrange: async (device) => {
      const other = device.rig.deviceType === 'raspberrypi3-64' ? 'beaglebone-black' : 'raspberrypi3-64';
      await device.check(`sed -i 's/"deviceType": "[^"]*"/"deviceType": "${other}"/' /mnt/boot/config.json && sync`);
    },
    args: () => ['--hostos-version', newest.version],
    exitCode: 1,
    message: /device type mismatch: .*deviceType=\S+ but this OS is built for MACHINE=\S+; refusing/,
  },
  {
    name: 'unreachable registry',
    // Port 9 on the host (discard): nothing listens there.
    args: () => ['--hostos-version', newest.version, '--registry', 'http://10.0.2.2:9'],
    exitCode: 1,
    message: /registry http:\/\/10\.0\.2\.2:9 unreachable/,
  },
  {
    name: 'missing image tag',
    args: () => ['--hostos-version', '2.99.0+rev1'],
    exitCode: 1,
    message: /image resin\/resinos:2\.99\.0_rev1-\S+ not found in registry/,
  },
  {
    name: 'downgrade',
    args: () => ['--hostos-version', oldest.version],
    exitCode: 1,
    message: new RegExp(`downgrade refused: target ${oldest.version.replace(/[.+]/g, '\\$&')} is older than the running`),
  },
  {
    name: 'update lock held',
    arrange: async (device) => {
      await device.check("(flock -n /var/lock/resinhup.lock sleep 600 < /dev/null > /dev/null 2>&1 &) ; sleep 1; echo held");
      return async () => void (await device.exec("pkill -f 'flock -n /var/lock/resinhup.lock' ; true"));
    },
    args: () => ['--hostos-version', newest.version],
    exitCode: 9,
    message: /another update holds the lock \/var\/lock\/resinhup\.lock/,
  },
];

async function bootSource(rig: Rig, device: Device, registry: TestRegistry, imagePath: string) {
  await startFromImage(rig, device, imagePath);
  await prepareDevice(device, { registry: registry.started.deviceUrl, deviceType: rig.deviceType, supervisorVersion: middle.supervisor });
  await seedData(device, 2, 256);
}

for (const refusal of refusals) {
  test(`upgrade-2.x.sh refuses: ${refusal.name}`, { tag: ['@sanity'] }, async ({ rig, device, imageFor, registry }, testInfo) => {
    await registry.publish(oldest.version);
    await registry.publish(newest.version);
    // The source is the middle release, so `newest` is an upgrade and `oldest` a downgrade.
    await bootSource(rig, device, registry, (await imageFor(middle.version)).path);

    const before = await device.snapshot();
    const sumsBefore = await dataChecksums(device);
    const undo = await refusal.arrange?.(device, registry);
    const run = await runUpdater(device, rig, {
      script: updaterScript('upgrade-2.x.sh'),
      args: refusal.args(registry),
      step: (name, body) => test.step(name, body),
      expectReboot: false,
    });
    if (undo) await undo();
    await testInfo.attach('updater.log', { body: run.log, contentType: 'text/plain' });

    expect(run.exitCode, describeRun(run)).toBe(refusal.exitCode);
    expect(run.output, 'the refusal says why').toMatch(refusal.message);
    expect(run.reboots, 'a refused update does not reboot').toBe(0);
    // Nothing past the checks ran.
    expect(run.phases.map((p) => p.name).filter((p) => p !== 'checks')).toEqual([]);

    const after = await device.snapshot();
    await testInfo.attach('device-state.json', { body: JSON.stringify({ before, after }, null, 2), contentType: 'application/json' });
    expect(stableState(after), 'DeviceState after the refusal').toEqual(stableState(before));
    expect(await dataChecksums(device), 'resin-data checksums after the refusal').toEqual(sumsBefore);
  });
}
