// Puts into a registry what a device and an update path need: the hostOS image of a release
// (one layer: the release's root filesystem), its supervisor, the user app, and for a 1.x → 2.x
// migration the tools image.
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { ensureImage, type BuiltImage } from '../../images/build.ts';
import {
  appImage,
  platformOf,
  supervisorImage,
  type ContainerImage,
} from '../../images/containers/container-images.ts';
import { toolsImage } from '../../images/containers/tools-image.ts';
import { resinhupImage } from '../../images/containers/resinhup-image.ts';
import { hostOsArchive } from '../../images/lib/hostos-archive.ts';
import { findRelease, registryTag } from '../../images/lib/releases.ts';
import type { PushedImage, RegistryClient } from './client.ts';

export function hostOsReference(version: string, deviceType: string): string {
  return `resin/resinos:${registryTag(version, deviceType)}`;
}

/**
 * The label that says how many bytes of files the hostOS image's root holds: the least a spare root
 * must hold to take it (the updaters check it before they write anything).
 */
export const ROOTFS_BYTES_LABEL = 'io.resin.os.rootfs-bytes';

export async function pushHostOs(client: RegistryClient, image: BuiltImage): Promise<PushedImage> {
  const layer = await readFile(await hostOsArchive(image));
  const platform = platformOf(image.deviceType);
  const labels = {
    'io.resin.os.version': image.version,
    'io.resin.device-type': image.deviceType,
    [ROOTFS_BYTES_LABEL]: String(tarFileBytes(gunzipSync(layer))),
  };
  return client.pushImage(hostOsReference(image.version, image.deviceType), {
    layers: [{ gzip: layer }],
    config: {
      architecture: platform.architecture,
      variant: platform.variant,
      os: 'linux',
      config: { Cmd: ['/bin/sh'], Labels: labels },
    },
  });
}

/** The bytes of the regular files in a tar stream (ustar/GNU headers: size at 124, type at 156). */
export function tarFileBytes(tar: Uint8Array): number {
  let total = 0;
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(
      Buffer.from(header.subarray(124, 136))
        .toString('latin1')
        .replace(/\0[\s\S]*$/, '')
        .trim() || '0',
      8,
    );
    const type = String.fromCharCode(header[156]!);
    if (type === '0' || type === '\0' || type === '7') total += size;
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return total;
}

async function pushContainer(client: RegistryClient, image: ContainerImage): Promise<PushedImage> {
  return client.pushImage(image.reference, {
    layers: [{ gzip: await readFile(image.layerPath) }],
    config: image.config,
  });
}

export async function pushSupervisor(
  client: RegistryClient,
  deviceType: string,
  version: string,
): Promise<PushedImage> {
  return pushContainer(client, await supervisorImage(deviceType, version));
}

export async function pushApp(client: RegistryClient, deviceType: string): Promise<PushedImage> {
  return pushContainer(client, await appImage(deviceType));
}

/**
 * A registry client, or one still to come (a registry still starting): the images are resolved and
 * built first, so that work overlaps the registry's start; only the pushes wait for it.
 */
export type ClientToBe = RegistryClient | Promise<RegistryClient>;

/** Everything a device of `deviceType` at or going to `version` pulls: hostOS, supervisor, app. */
export async function publishRelease(client: ClientToBe, version: string, deviceType: string): Promise<PushedImage[]> {
  const release = await findRelease(version);
  const built = await ensureImage(release, deviceType);
  const supervisor = await supervisorImage(deviceType, release.supervisor);
  const app = await appImage(deviceType);
  const registry = await client;
  return [
    await pushHostOs(registry, built),
    await pushContainer(registry, supervisor),
    await pushContainer(registry, app),
  ];
}

/** The tools image upgrade-1.x-to-2.x.sh pulls for a migration to `targetVersion` (2.x). */
export async function publishTools(
  client: ClientToBe,
  targetVersion: string,
  deviceType: string,
): Promise<PushedImage> {
  const built = await ensureImage(await findRelease(targetVersion), deviceType);
  const tools = await toolsImage(built);
  return pushContainer(await client, tools);
}

/**
 * The resinhup image upgrade-1.x.sh pulls for a 1.x → 1.x update, around `secondaryDir`: the
 * secondary updater (the updater set's `resinhup` directory).
 */
export async function publishResinhup(
  client: ClientToBe,
  deviceType: string,
  secondaryDir: string,
): Promise<PushedImage> {
  const image = await resinhupImage(deviceType, secondaryDir);
  return pushContainer(await client, image);
}
