// Names and helpers for what goes into the registry: the hostOS image's reference and labels, the
// harness's user app, and the resinhup image built around an updater set's secondary. A release's
// own images (hostOS, supervisor, tools) are published as given by harness/release/publish-release.ts.
import { readFile } from 'node:fs/promises';
import { appImage, type ContainerImage } from '../../images/containers/container-images.ts';
import { resinhupImage } from '../../images/containers/resinhup-image.ts';
import { registryTag } from '../../images/lib/releases.ts';
import type { PushedImage, RegistryClient } from './client.ts';

export function hostOsReference(version: string, deviceType: string): string {
  return `resin/resinos:${registryTag(version, deviceType)}`;
}

/**
 * The label that says how many bytes of files the hostOS image's root holds: the least a spare root
 * must hold to take it (the updaters check it before they write anything).
 */
export const ROOTFS_BYTES_LABEL = 'io.resin.os.rootfs-bytes';

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
    layers: await Promise.all(image.layerPaths.map(async (file) => ({ gzip: await readFile(file) }))),
    config: image.config,
  });
}

export async function pushApp(client: RegistryClient, deviceType: string): Promise<PushedImage> {
  return pushContainer(client, await appImage(deviceType));
}

/**
 * A registry client, or one still to come (a registry still starting): the images are resolved and
 * built first, so that work overlaps the registry's start; only the pushes wait for it.
 */
export type ClientToBe = RegistryClient | Promise<RegistryClient>;

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
