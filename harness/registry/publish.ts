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
 * The label that says the least a spare root must hold to take the hostOS image's root (the updaters
 * check it before they write anything): ext4RootNeedBytes of its layer.
 */
export const ROOTFS_BYTES_LABEL = 'io.resin.os.rootfs-bytes';

/** The bytes of the regular files in a tar stream. */
export function tarFileBytes(tar: Uint8Array): number {
  let total = 0;
  forEachTarEntry(tar, (type, size) => {
    if (isRegularFile(type)) total += size;
  });
  return total;
}

const BLOCK = 4096;
/** ext4's journal on a spare root of 128 MiB-1 GiB (mke2fs's default for that size). */
const JOURNAL_BYTES = 16 * 2 ** 20;
/** ext4's inode tables: a 256-byte inode per 16 KiB of the partition (mke2fs.conf's default ratio). */
const INODE_SHARE = 256 / 16384;

/**
 * What the root in a tar stream takes on an ext4 spare root of 4 KiB blocks: each regular file rounded
 * up to whole blocks, a block for each directory and each symlink too long to keep in its inode, and
 * the filesystem's own share of the partition (its journal and inode tables). The sum of the files'
 * sizes alone is not enough: a Raspberry Pi 2.12.3+rev1 root of 365.5 MB of files, thousands of them
 * kernel modules, did not fit a 398.5 MB spare root ("No space left on device" in the export).
 */
export function ext4RootNeedBytes(tar: Uint8Array): number {
  let blocks = 0;
  forEachTarEntry(tar, (type, size, linkLength) => {
    if (isRegularFile(type)) blocks += Math.ceil(size / BLOCK);
    else if (type === '5' || (type === '2' && linkLength > 60)) blocks += 1;
  });
  return Math.ceil((blocks * BLOCK + JOURNAL_BYTES) / (1 - INODE_SHARE));
}

/** A tar entry's type flag for a regular file (ustar '0', old tar NUL, contiguous '7'). */
const isRegularFile = (type: string) => type === '0' || type === '\0' || type === '7';

/** Calls `visit` with each entry's type, size and link-name length (ustar/GNU headers). */
function forEachTarEntry(tar: Uint8Array, visit: (type: string, size: number, linkLength: number) => void): void {
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
    const linkLength = header.subarray(157, 257).indexOf(0);
    visit(String.fromCharCode(header[156]!), size, linkLength < 0 ? 100 : linkLength);
    at += 512 + Math.ceil(size / 512) * 512;
  }
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
