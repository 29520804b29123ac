// Playwright fixtures: the rig is worker-scoped and chosen by the project (one project per rig file);
// the device is per test; evidence (the serial console of the test, boot events) is attached to
// every test, passed or failed.
import { test as base } from '@playwright/test';
import path from 'node:path';
import { cacheDir } from '../images/lib/cache.ts';
import { Device } from './device/device.ts';
import { imageForRelease, type ReleaseImage } from './image/release-image.ts';
import { attachConsoleEvidence } from './report/evidence.ts';
import { hostLoadAnnotation, sampleHostLoad } from './report/host-load.ts';
import { failRetryOfProductFailure } from './report/retry-policy.ts';
import { createRig } from './rig/create-rig.ts';
import { acquireInstanceLease, acquireRigLease } from './rig/lease.ts';
import { loadRigConfig } from './rig/rig-config.ts';
import type { Rig } from './rig/rig.ts';
import { InfraError } from './errors.ts';
import { RegistryError, startRegistry } from './registry/index.ts';
import { BoardStrategy } from './board/strategy.ts';
import { servedBlobs, writeRegistryRecord } from './release/published-record.ts';
import type { ScenarioContext } from './scenarios/context.ts';
import { type ReleasePublisher, releasePublisher } from './scenarios/publisher.ts';

/** The worker's registry (started on first use) and the releases published into it on demand. */
export type TestRegistry = ReleasePublisher;

export interface TestFixtures {
  device: Device;
  /** The board's strategy: power, boots, reboots, each a step of the test. */
  board: BoardStrategy;
  /** The board, the registry and the card images, for the scenarios (harness/scenarios). */
  scenario: ScenarioContext;
  // biome-ignore lint/suspicious/noConfusingVoidType: an auto fixture with no value; Playwright's use() may omit its argument only for void
  _productFailureNotRetried: void;
  // biome-ignore lint/suspicious/noConfusingVoidType: an auto fixture with no value; Playwright's use() may omit its argument only for void
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
      // Note: not awaited here: the container comes up while the first test resolves and builds the
      // images it publishes (publishing waits for it); a registry that does not start fails that
      // publish with a RegistryError, an infrastructure fault like any other of the rig.
      const starting = startRegistry().catch((error: Error) => {
        throw error instanceof InfraError
          ? error
          : new RegistryError(`The worker's registry did not start: ${error.message}`, { cause: error });
      });
      try {
        await use(releasePublisher(starting, rig.deviceType));
      } finally {
        await starting.then(
          async (started) => {
            // What this worker published and what the registry served of it, for the gate's verdict.
            const results = process.env.HUPBENCH_RESULTS;
            if (results)
              await writeRegistryRecord(
                results,
                `${rig.config.name}-${process.pid}`,
                servedBlobs(await started.accessLog()),
              ).catch((e: Error) => console.error(`[registry] record not written: ${e.message}`));
            await started.stop();
          },
          () => undefined,
        );
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

  board: async ({ rig, device }, use, testInfo) => {
    const board = new BoardStrategy(rig, device, (name, body) => base.step(name, body));
    try {
      await use(board);
    } finally {
      // The board's steps, for the reports (passed or failed).
      await testInfo.attach('board-steps.json', {
        body: JSON.stringify(board.steps, null, 2),
        contentType: 'application/json',
      });
    }
  },

  scenario: async ({ board, registry, imageFor }, use) => {
    await use({ board, registry, imageFor });
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
      const load = sampleHostLoad();
      await use();
      testInfo.annotations.push(hostLoadAnnotation(load.stop()));
      // Note: runs whatever the outcome, so a failed test still carries its console.
      await attachConsoleEvidence(testInfo, rig, firstLine, firstEvent);
    },
    { auto: true, box: true },
  ],
});
