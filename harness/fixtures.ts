// Playwright fixtures: the rig is worker-scoped and chosen by the project (one project per rig file);
// the device is per test; evidence (the serial console of the test, boot events) is attached to
// every test, passed or failed.
import { test as base } from '@playwright/test';
import path from 'node:path';
import { cacheDir } from '../images/lib/cache.ts';
import { Device } from './device/device.ts';
import { imageForRelease, type ReleaseImage } from './image/release-image.ts';
import { attachConsoleEvidence } from './report/evidence.ts';
import { createRig } from './rig/create-rig.ts';
import { loadRigConfig } from './rig/rig-config.ts';
import type { Rig } from './rig/rig.ts';

export interface TestFixtures {
  device: Device;
  _evidence: void;
}

export interface WorkerFixtures {
  rigName: string;
  rig: Rig;
  /** The card image of a release for this rig's device type, built if missing. */
  imageFor: (version: string) => Promise<ReleaseImage>;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  rigName: ['qemu-beaglebone-black', { option: true, scope: 'worker' }],

  rig: [
    async ({ rigName }, use, workerInfo) => {
      const config = await loadRigConfig(rigName);
      const workDir = path.join(cacheDir, 'rigs', `${config.name}-${workerInfo.parallelIndex}-${process.pid}`);
      const rig = createRig(config, workDir);
      try {
        await use(rig);
      } finally {
        await rig.dispose();
      }
    },
    { scope: 'worker', timeout: 60_000 },
  ],

  imageFor: [
    async ({ rig }, use) => {
      await use((version) => imageForRelease(version, rig.deviceType));
    },
    { scope: 'worker' },
  ],

  device: async ({ rig }, use) => {
    const device = new Device(rig);
    await use(device);
    await device.disconnect();
  },

  _evidence: [
    async ({ rig }, use, testInfo) => {
      const firstLine = rig.console.lines.length;
      const firstEvent = rig.console.bootEvents.events.length;
      await use();
      // Note: runs whatever the outcome, so a failed test still carries its console.
      await attachConsoleEvidence(testInfo, rig, firstLine, firstEvent);
    },
    { auto: true, box: true },
  ],
});
