// The forum's case, provoked: the app a device has run for months pulled whole again by an update.
// The new OS's engine starts on an empty store, as when an update moves the engine to another storage
// driver or data root without migrating the images (balenaOS's move from aufs to overlay2): the
// harness moves the store aside as the updater switches the boot (its images stay on resin-data,
// unused). After the reboot the supervisor is pulled again, then the app. The preloaded app is
// published as it is on the card (the same blobs) and config.json names it by its registry digest,
// so what the device pulls is the very image it held.
// A finding on the way (stop 36): naming the card's app by digest alone does not make the engine
// pull it again. The engine fetched the manifest, found its config digest in its store and took
// nothing more (`docker load` keeps no registry digest, but an image's config digest is its ID).
import type { Device } from '../device/device.ts';
import { pullAllowanceMs } from '../device/services.ts';
import { expectOnDevice } from '../device/product-wait.ts';
import type { RegistryClient } from '../registry/client.ts';
import { waitFor } from '../wait.ts';
import { preloadedAppImage, preloadedAppManifest } from './app-preload.ts';
import { readFile } from 'node:fs/promises';
import { selectedEngine } from '../../images/lib/engine.ts';

const REPOSITORY = 'hupbench/app';
const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

export interface PublishedPreload {
  /** `hupbench/app@sha256:…`: the preloaded app by its registry digest. */
  pinned: string;
  /** Its config and layer digests: what the device holds before the update. */
  blobs: string[];
  bytes: number;
}

export async function publishPreloadedApp(
  client: RegistryClient,
  deviceType: string,
  sizeMB: number,
): Promise<PublishedPreload> {
  if (selectedEngine() === 'lean')
    throw new Error(
      'app.repullDuringUpdate needs the real engine: the lean engine keeps no registry digests, so it cannot tell its copy from the card from a pulled one. Unset HUPBENCH_ENGINE (or set it to moby).',
    );
  const { config, configDigest, layers } = await preloadedAppImage(deviceType, sizeMB);
  await client.pushBlob(REPOSITORY, Buffer.from(config));
  for (const layer of layers) await client.pushBlob(REPOSITORY, await readFile(layer.file));
  const manifest = Buffer.from(preloadedAppManifest(config, configDigest, layers));
  const digest = await client.pushManifestBytes(REPOSITORY, `preloaded-${sizeMB}mb`, manifest, MANIFEST_TYPE);
  return {
    pinned: `${REPOSITORY}@${digest}`,
    blobs: [`sha256:${configDigest}`, ...layers.map((l) => `sha256:${l.digest}`)],
    bytes: layers.reduce((sum, l) => sum + l.size, Buffer.byteLength(config)),
  };
}

/** The updater phase as which the store goes: the last before the reboot, after every pull. */
export const STORE_LOST_AT_PHASE = 'switch-boot';

/** The engine's store moved aside (rename on resin-data: the running engine keeps its open files). */
export async function loseEngineStore(device: Device): Promise<void> {
  await device.check('mv /mnt/data/docker "/mnt/data/docker.lost-by-hupbench-$(date +%s)" && sync');
}

/** config.json names the app by digest (the container keeps its name, `app`). */
export async function pinAppByDigest(device: Device, pinned: string): Promise<void> {
  const edit = `s|"app": *"[^"]*"|"app": "${pinned}", "appName": "app"|`;
  await device.check(
    `sed '${edit}' /mnt/boot/config.json > /mnt/boot/config.json.new && sync && mv /mnt/boot/config.json.new /mnt/boot/config.json && sync && grep -q '${pinned}' /mnt/boot/config.json`,
  );
}

/** A product wait: the engine holds the pinned app (the supervisor's pull of it finished). */
export async function expectPinnedAppPulled(device: Device, pinned: string, sizeMB: number): Promise<void> {
  const what = `the supervisor's pull of the app by digest (${pinned.slice(0, 32)}…, ${sizeMB} MB) finished`;
  await expectOnDevice(
    device.rig,
    what,
    (timeoutMs) =>
      waitFor(async () => ((await device.exec(`docker images -q '${pinned}'`)).stdout.trim() ? true : undefined), {
        timeoutMs,
        intervalMs: 10_000,
        what,
      }),
    pullAllowanceMs(device.rig, sizeMB),
  );
}
