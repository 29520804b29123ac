// What a release holds for one device type, read from its artifacts themselves: the hostOS image's
// package database (/var/lib/dpkg/status) and kernel, the card's boot partition files (read with
// mtools, no mount), the supervisor version, and each image's compressed and uncompressed size.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { type GivenImage, layerTar } from './image-archive.ts';
import { deviceArtifacts, type LoadedManifest } from './load-manifest.ts';
import { readGivenImage } from './publish-release.ts';
import { rawCardImage } from './card-image.ts';
import { tarEntries } from './tar-entries.ts';

export interface ImageSizes {
  /** Bytes as given: the archive's layers (compressed), or the card file. */
  compressed: number;
  /** Layers as tar streams, or the card as a raw disk. */
  uncompressed: number;
  digest?: string;
}

export interface BootFile {
  size: number;
  sha256: string;
}

export interface ReleaseContents {
  version: string;
  deviceType: string;
  manifestFile: string;
  provider?: string;
  supervisor: string;
  kernel?: string;
  /** Package → version; undefined when the hostOS image has no package database. */
  packages?: Record<string, string>;
  bootFiles?: Record<string, BootFile>;
  sizes: Record<string, ImageSizes>;
}

export async function releaseContents(manifest: LoadedManifest, deviceType: string): Promise<ReleaseContents> {
  const set = deviceArtifacts(manifest, deviceType);
  const sizes: Record<string, ImageSizes> = {};
  let hostOS: GivenImage | undefined;
  for (const kind of ['hostOS', 'supervisor', 'tools', 'resinhup'] as const) {
    const artifact = set[kind];
    if (!artifact) continue;
    const image = await readGivenImage(artifact);
    if (kind === 'hostOS') hostOS = image;
    sizes[kind] = {
      compressed: image.layers.reduce((n, l) => n + l.size, 0),
      uncompressed: image.layers.reduce((n, l) => n + layerTar(image, l).length, 0),
      digest: image.manifestDigest,
    };
  }
  let bootFiles: Record<string, BootFile> | undefined;
  if (set.card) {
    const raw = await rawCardImage(set.card);
    sizes.card = { compressed: (await stat(set.card.image)).size, uncompressed: (await stat(raw)).size };
    bootFiles = await cardBootFiles(raw);
  }
  const packages = hostOS && dpkgPackages(hostOS);
  return {
    version: manifest.version,
    deviceType,
    manifestFile: manifest.file,
    provider: manifest.provider,
    supervisor: manifest.supervisor,
    kernel: packages && kernelOf(packages),
    packages,
    bootFiles,
    sizes,
  };
}

/** Package → version from the image's /var/lib/dpkg/status (the last layer that has one). */
export function dpkgPackages(image: GivenImage): Record<string, string> | undefined {
  let status: string | undefined;
  for (const layer of image.layers)
    for (const e of tarEntries(layerTar(image, layer)))
      if (e.type === '0' && e.name === 'var/lib/dpkg/status') status = e.data.toString('utf8');
  if (status === undefined) return undefined;
  const packages: Record<string, string> = {};
  for (const stanza of status.split(/\n\s*\n/)) {
    const name = /^Package: (.+)$/m.exec(stanza)?.[1];
    const version = /^Version: (.+)$/m.exec(stanza)?.[1];
    const installed = !/^Status: /m.test(stanza) || /^Status: .* installed$/m.test(stanza);
    if (name && version && installed) packages[name] = version;
  }
  return packages;
}

/** The kernel release and package version, from the linux-image package the image lists. */
export function kernelOf(packages: Record<string, string>): string | undefined {
  const name = Object.keys(packages).find((p) => /^linux-image-\d/.test(p));
  return name && `${name.replace(/^linux-image-/, '')} (${name} ${packages[name]})`;
}

/**
 * The files of a raw card's first partition (the vfat boot partition), with sizes and checksums, by
 * path relative to the partition; `read(name, bytes)` sees each file's content as it goes by.
 */
export async function cardBootFiles(
  image: string,
  read?: (name: string, bytes: Buffer) => void,
): Promise<Record<string, BootFile>> {
  const table = JSON.parse((await $`sfdisk --json ${image}`).stdout) as {
    partitiontable: { sectorsize?: number; partitions: { start: number }[] };
  };
  const first = table.partitiontable.partitions[0];
  if (!first) return {};
  const offset = first.start * (table.partitiontable.sectorsize ?? 512);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hupbench-boot-'));
  try {
    await $`mcopy -s -n -i ${`${image}@@${offset}`} ${'::*'} ${dir}`.quiet();
    const files: Record<string, BootFile> = {};
    for (const rel of await readdir(dir, { recursive: true })) {
      const file = path.join(dir, rel);
      if (!(await stat(file)).isFile()) continue;
      const bytes = await readFile(file);
      read?.(rel, bytes);
      files[rel] = { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    }
    return files;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
