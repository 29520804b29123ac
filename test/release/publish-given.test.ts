// Publishing what was given: the registry serves the archive's own manifest and blobs, byte for
// byte (a real registry container), for OCI layouts and legacy `docker save` archives alike; a
// corrupt archive is refused; a release given as a folder is published from its artifacts.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { $ } from 'zx';
import { RELEASE_DIRS_ENV } from '../../images/lib/releases.ts';
import { startRegistry } from '../../harness/registry/registry.ts';
import { sha256Digest } from '../../harness/registry/manifest.ts';
import { readImageArchive } from '../../harness/release/image-archive.ts';
import { pushGivenImage } from '../../harness/release/publish-given.ts';
import { readRegistryImage } from '../../harness/release/registry-source.ts';
import { publishRelease } from '../../harness/release/publish-release.ts';
import { publishRecord, referenceProviderCalls } from '../../harness/release/published-record.ts';
import { dockerSaveArchive, hostOsArchive, layerOf, releaseFolder, tempDir, removeTempDirs } from './tiny-release.ts';

test.afterAll(removeTempDirs);

test.describe.configure({ mode: 'serial' });

test('an OCI archive and a docker save archive are served with the digests they hold', async () => {
  test.setTimeout(120_000);
  const dir = await tempDir();
  await using registry = await startRegistry();
  const oci = await readImageArchive(await hostOsArchive(dir, { version: '2.13.0', machine: 'beaglebone-black' }));
  const pushed = await pushGivenImage(registry.client, 'resin/resinos:2.13.0-beaglebone-black', oci);
  expect(pushed.manifestDigest).toBe(oci.manifestDigest);
  const served = await registry.client.getManifest('resin/resinos:2.13.0-beaglebone-black');
  expect(served.digest).toBe(oci.manifestDigest);
  expect(Buffer.compare(served.bytes, oci.manifestBytes)).toBe(0);
  for (const d of [oci.config, ...oci.layers]) {
    const blob = await registry.client.getBlob('resin/resinos', d.digest);
    expect(Buffer.compare(blob, oci.blobs.get(d.digest)!)).toBe(0);
  }

  const layerFile = await layerOf(dir, 'sv', { 'etc/supervisor-version': '7.16.6\n' });
  const saved = await readImageArchive(await dockerSaveArchive(dir, 'supervisor', layerFile));
  expect(saved.manifestWritten).toBe(true);
  expect(saved.layers[0]!.digest).toBe(sha256Digest(await readFile(layerFile)));
  await pushGivenImage(registry.client, 'resin/armv7hf-supervisor:v7.16.6', saved);
  const { manifest } = await registry.client.getManifest('resin/armv7hf-supervisor:v7.16.6');
  expect(manifest.layers.map((l) => l.digest)).toEqual([sha256Digest(await readFile(layerFile))]);
  expect(manifest.config.digest).toBe(saved.config.digest);
});

test('an archive whose blob does not hash to its name is refused', async () => {
  const dir = await tempDir();
  const archive = await hostOsArchive(dir, { version: '2.13.0', machine: 'beaglebone-black' });
  const tree = path.join(dir, 'tampered');
  await mkdir(tree);
  await $`tar -xf ${archive} -C ${tree}`;
  const index = JSON.parse(await readFile(path.join(tree, 'index.json'), 'utf8'));
  const manifest = JSON.parse(
    await readFile(path.join(tree, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'),
  );
  await writeFile(path.join(tree, 'blobs/sha256', manifest.layers[0].digest.slice(7)), 'not the layer');
  await $`tar -cf ${path.join(dir, 'tampered.tar')} -C ${tree} .`;
  await expect(readImageArchive(path.join(dir, 'tampered.tar'))).rejects.toThrow(
    new RegExp(`blob ${manifest.layers[0].digest} does not hash to its name`),
  );
});

test('a release given as a folder is published from its artifacts, without the reference builder', async () => {
  test.setTimeout(180_000);
  const { folder, hostOS: archive } = await releaseFolder(await tempDir(), { version: '2.13.0' });
  const before = process.env[RELEASE_DIRS_ENV];
  process.env[RELEASE_DIRS_ENV] = folder;
  try {
    await using registry = await startRegistry();
    const [hostOS, supervisor] = await publishRelease(registry.client, '2.13.0', 'beaglebone-black');
    const given = await readImageArchive(archive);
    expect(hostOS!.manifestDigest).toBe(given.manifestDigest);
    expect(supervisor!.reference).toBe('resin/armv7hf-supervisor:v7.16.6');
    const records = publishRecord.filter((r) => r.version === '2.13.0');
    expect(records.map((r) => r.kind)).toEqual(['hostOS', 'supervisor']);
    expect(records[0]!.source).toBe(given.source);
    expect(referenceProviderCalls.filter((c) => c.startsWith('2.13.0 '))).toEqual([]);
  } finally {
    if (before === undefined) delete process.env[RELEASE_DIRS_ENV];
    else process.env[RELEASE_DIRS_ENV] = before;
  }
});

test('a hostOS given as a registry reference pinned by digest is copied blob for blob', async () => {
  test.setTimeout(120_000);
  const dir = await tempDir();
  await using source = await startRegistry();
  await using target = await startRegistry();
  const archive = await readImageArchive(await hostOsArchive(dir, { version: '2.13.0', machine: 'beaglebone-black' }));
  await pushGivenImage(source.client, 'vendor/os:2.13.0', archive);
  const reference = `127.0.0.1:${source.port}/vendor/os:2.13.0@${archive.manifestDigest}`;
  const fetched = await readRegistryImage(reference);
  expect(fetched.manifestDigest).toBe(archive.manifestDigest);
  const pushed = await pushGivenImage(target.client, 'resin/resinos:2.13.0-beaglebone-black', fetched);
  expect(pushed.manifestDigest).toBe(archive.manifestDigest);
  expect(pushed.manifest.layers.map((l) => l.digest)).toEqual(archive.layers.map((l) => l.digest));
  const wrong = `127.0.0.1:${source.port}/vendor/os:2.13.0@sha256:${'0'.repeat(64)}`;
  await expect(readRegistryImage(wrong)).rejects.toThrow(/GET manifests\/sha256:0+ answered HTTP 404/);
});

test('a second release with another supervisor image under the same supervisor version is refused', async () => {
  test.setTimeout(180_000);
  const dir = await tempDir();
  const a = await releaseFolder(dir, { version: '2.13.0' });
  const same = await releaseFolder(dir, { version: '2.13.1' });
  const other = await releaseFolder(dir, { version: '2.14.0', supervisorText: '7.16.6, rebuilt\n' });
  const before = process.env[RELEASE_DIRS_ENV];
  process.env[RELEASE_DIRS_ENV] = [a.folder, same.folder, other.folder].join(path.delimiter);
  try {
    await using registry = await startRegistry();
    await publishRelease(registry.client, '2.13.0', 'beaglebone-black');
    await publishRelease(registry.client, '2.13.1', 'beaglebone-black');
    await expect(publishRelease(registry.client, '2.14.0', 'beaglebone-black')).rejects.toThrow(
      /resin\/armv7hf-supervisor:v7\.16\.6 already holds another image .* than release 2\.14\.0's .*supervisor\.tar/,
    );
  } finally {
    if (before === undefined) delete process.env[RELEASE_DIRS_ENV];
    else process.env[RELEASE_DIRS_ENV] = before;
  }
});
