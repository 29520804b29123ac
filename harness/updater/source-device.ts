// The starting point of every update test: both releases in the registry, the source release flashed
// and booted, the supervisor and the app running, user data seeded, and rollback-health's window
// shortened so the test can wait for its verdict.
import { startFromImage, type StartTimes } from '../device/boot.ts';
import type { Device } from '../device/device.ts';
import type { TestRegistry } from '../fixtures.ts';
import type { Rig } from '../rig/rig.ts';
import { prepareDevice, seedData, setHealthWindow } from './device-setup.ts';
import type { UpgradePath } from './paths.ts';

export interface UpdateTestContext {
  rig: Rig;
  device: Device;
  registry: TestRegistry;
  imageFor: (version: string) => Promise<{ path: string }>;
}

export async function bootSourceForUpdate(
  { rig, device, registry, imageFor }: UpdateTestContext,
  path: UpgradePath,
): Promise<StartTimes> {
  await registry.publishPath(path);
  // The update, not the source's first boot, is under test: a login snapshot may stand in for it.
  const started = await startFromImage(rig, device, (await imageFor(path.from.version)).path);
  await prepareDevice(device, {
    registry: registry.started.deviceUrl,
    deviceType: rig.deviceType,
    supervisorVersion: path.from.supervisor,
    waitForApp: true,
  });
  await seedData(device);
  await setHealthWindow(device);
  return started;
}
