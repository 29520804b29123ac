// The forum's case, provoked: the app a device has run for months pulled whole again by an update.
// The new OS's engine starts on an empty store, as when an update moves the engine to another storage
// driver or data root without migrating the images (balenaOS's move from aufs to overlay2): the
// harness restarts the new OS's engine on an empty store once rollback-health has kept the new OS
// (the old store stays on resin-data, unused). The supervisor is pulled again, then the app. The
// preloaded app is published as it is on the card (the same blobs) and config.json names it by its
// registry digest, so what the device pulls is the very image it held.
// A finding on the way (stop 36): naming the card's app by digest alone does not make the engine
// pull it again. The engine fetched the manifest, found its config digest in its store and took
// nothing more (`docker load` keeps no registry digest, but an image's config digest is its ID).
import type { Device } from '../device/device.ts';
import { InfraError } from '../errors.ts';
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

/**
 * The new OS's engine restarted on an empty store: the engine is stopped (while it runs, its mounts
 * under the store make a rename fail, "Device or resource busy", stop 36), the store moved aside on
 * resin-data, and the engine and the supervisor started again.
 * Done after the reboot rather than as the updater switches the boot: the updater reboots within
 * a second of that, sooner than the engine stops. A failure here is the harness's.
 */
export async function restartEngineOnEmptyStore(device: Device): Promise<void> {
  const stop = (pidFile: string) =>
    `p=$(cat ${pidFile} 2>/dev/null) && kill "$p" 2>/dev/null; n=0; while [ -n "$p" ] && kill -0 "$p" 2>/dev/null && [ $n -lt 90 ]; do n=$((n + 1)); sleep 1; done`;
  const result = await device.exec(
    [
      stop('/run/dockerd.pid'),
      stop('/run/containerd.pid'),
      'grep " /mnt/data/docker/" /proc/mounts | cut -d" " -f2 | sort -r | xargs -r -n 1 umount -l',
      'mv /mnt/data/docker "/mnt/data/docker.lost-by-hupbench-$(date +%s)" && sync',
      '/etc/rc.d/S50engine start && /etc/rc.d/S60supervisor start',
    ].join('; '),
    { timeoutMs: 240_000 },
  );
  if (result.exitCode !== 0)
    throw new InfraError(
      `The harness could not restart the engine on an empty store to provoke the re-pull: ${(result.stderr || result.stdout).trim()}`,
    );
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
