// A 1.x device as the migration suites start from: a (seeded) 1.x card flashed and booted, config.json
// pointing at the test's registry with the source's supervisor, WiFi settings in config.json, and the
// supervisor and the app running.
import type { Rig } from '../rig/rig.ts';
import { prepareDevice } from '../updater/device-setup.ts';
import { startFromImage, type StartTimes } from './boot.ts';
import type { Device } from './device.ts';
import { writeConnmanSettings, type WifiNetwork } from './wifi-settings.ts';

export async function bootOneXDevice(
  rig: Rig,
  device: Device,
  opts: {
    image: string;
    registryUrl: string;
    supervisorVersion: string;
    wifi: WifiNetwork[];
    configOverrides?: Record<string, string>;
  },
): Promise<StartTimes> {
  const started = await startFromImage(rig, device, opts.image);
  await prepareDevice(device, {
    registry: opts.registryUrl,
    deviceType: rig.deviceType,
    supervisorVersion: opts.supervisorVersion,
    waitForApp: true,
    configOverrides: opts.configOverrides,
  });
  await writeConnmanSettings(device, opts.wifi);
  return started;
}

/** Test time for one migration: the Raspberry Pi rig is several times slower (SD card I/O under raspi3b). */
export function migrationTimeoutMs(rig: Rig, dataMB = 0): number {
  const slow = rig.deviceType === 'raspberrypi3-64' ? 3 : 1;
  return (12 + dataMB / 25) * 60_000 * slow;
}
