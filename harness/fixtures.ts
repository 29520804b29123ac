// Playwright fixtures: the rig is worker-scoped and chosen by the project (one project per rig file);
// the device is per test; evidence (the serial console of the test, boot events) is attached to
// every test, passed or failed.
import { test as base } from '@playwright/test';
import path from 'node:path';
import { cacheDir } from '../images/lib/cache.ts';
import { Device } from './device/device.ts';
import { imageForRelease, type ReleaseImage } from './image/release-image.ts';
import { attachConsoleEvidence } from './report/evidence.ts';
import { failRetryOfProductFailure } from './report/retry-policy.ts';
import { createRig } from './rig/create-rig.ts';
import { acquireInstanceLease, acquireRigLease } from './rig/lease.ts';
import { loadRigConfig } from './rig/rig-config.ts';
import type { Rig } from './rig/rig.ts';
import {
  publishRelease,
  publishResinhup,
  publishTools,
  startRegistry,
  type StartedRegistry,
} from './registry/index.ts';
import type { UpgradePath } from './updater/paths.ts';

/** The worker's registry (started on first use) and the releases published into it on demand. */
export interface TestRegistry {
  started: StartedRegistry;
  /** Pushes a release's hostOS, supervisor and app images for the rig's device type, once per worker. */
  publish(version: string): Promise<void>;
  /**
   * Everything a path's updater pulls: both releases, and the helper image its class needs (the
   * tools image of the 2.x target for 1.x → 2.x, the resinhup image for 1.x → 1.x); once per worker.
   */
  publishPath(path: UpgradePath): Promise<void>;
}

export interface TestFixtures {
  device: Device;
  _productFailureNotRetried: void;
  _evidence: void;
}

export interface WorkerFixtures {
  rigName: string;
  rig: Rig;
  /** The card image of a release for this rig's device type, built if missing. */
  imageFor: (version: string) => Promise<ReleaseImage>;
  registry: TestRegistry;
}

/** How long a worker waits for a free instance of its rig (all held by other runs on this host). */
// HUPBENCH_LEASE_WAIT_MINUTES: longer on a host where other runs hold the rig for long tests.
const INSTANCE_WAIT_MS = Number(process.env.HUPBENCH_LEASE_WAIT_MINUTES ?? 10) * 60_000;

export const test = base.extend<TestFixtures, WorkerFixtures>({
  rigName: ['qemu-beaglebone-black', { option: true, scope: 'worker' }],

  rig: [
    async ({ rigName }, use, workerInfo) => {
      const config = await loadRigConfig(rigName);
      // Note: a bench rig is one physical board: the lease keeps a second run off it. A QEMU rig runs
      // up to `instances` boards on this host: each worker takes one instance (its parallelIndex when
      // free), with its own files, ports and pty.
      const lease =
        config.kind === 'bench'
          ? await acquireRigLease(config.name)
          : await acquireInstanceLease(config.name, config.instances, {
              preferred: workerInfo.parallelIndex,
              timeoutMs: INSTANCE_WAIT_MS,
            });
      const instance = 'instance' in lease ? lease.instance : 0;
      const workDir = path.join(cacheDir, 'rigs', `${config.name}-${instance}-${process.pid}`);
      const rig = createRig(config, workDir);
      try {
        await use(rig);
      } finally {
        await rig.dispose();
        await lease.release();
      }
    },
    // Long enough to wait for another run on this host to free an instance.
    { scope: 'worker', timeout: INSTANCE_WAIT_MS + 60_000 },
  ],

  imageFor: [
    async ({ rig }, use) => {
      await use((version) => imageForRelease(version, rig.deviceType));
    },
    { scope: 'worker' },
  ],

  registry: [
    async ({ rig }, use) => {
      process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
      const started = await startRegistry();
      const published = new Map<string, Promise<void>>();
      const once = (key: string, push: () => Promise<unknown>) => {
        let p = published.get(key);
        if (!p) {
          p = push().then(() => undefined);
          published.set(key, p);
        }
        return p;
      };
      const publish = (version: string) =>
        once(`release ${version}`, () => publishRelease(started.client, version, rig.deviceType));
      try {
        await use({
          started,
          publish,
          async publishPath(path) {
            await publish(path.from.version);
            await publish(path.to.version);
            if (path.pathClass === '1x-2x')
              await once(`tools ${path.to.version}`, () =>
                publishTools(started.client, path.to.version, rig.deviceType),
              );
            if (path.pathClass === '1x') await once('resinhup', () => publishResinhup(started.client, rig.deviceType));
          },
        });
      } finally {
        await started.stop();
      }
    },
    { scope: 'worker', timeout: 300_000 },
  ],

  device: async ({ rig }, use, testInfo) => {
    const device = new Device(rig);
    await use(device);
    await device.disconnect();
    if (device.sshRefusals.length) {
      await testInfo.attach('ssh-exec-refusals.txt', {
        body: device.sshRefusals.join('\n'),
        contentType: 'text/plain',
      });
    }
  },

  // Note: declared before `_evidence` and without dependencies, so it fails the retry of a product
  // failure before any rig, lease or registry is set up for it: retries are for the rig only.
  _productFailureNotRetried: [
    async ({}, use, testInfo) => {
      await failRetryOfProductFailure(testInfo);
      await use();
    },
    { auto: true, box: true },
  ],

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
