// The registry container and the v2 client against each other: what is pushed comes back
// byte-identical under its digest, and the access log accounts for the bytes served.
import { test, expect } from '@playwright/test';
import { gzipSync } from 'node:zlib';
import { startRegistry } from '../../harness/registry/registry.ts';
import { startRegistryAgain, stopRegistry } from '../../harness/registry/registry-faults.ts';
import { MEDIA_TYPES, sha256Digest } from '../../harness/registry/manifest.ts';

test.describe.configure({ mode: 'serial' });

test('push an image, pull its manifest and blobs back with digests checked', async () => {
  test.setTimeout(120_000);
  await using registry = await startRegistry();
  expect(registry.deviceUrl).toBe(`http://10.0.2.2:${registry.port}`);
  const layer = gzipSync(Buffer.from('not really a tar, but bytes are bytes\n'.repeat(1000)));
  const pushed = await registry.client.pushImage('hupbench/probe:v1', {
    layers: [{ gzip: layer }],
    config: { architecture: 'arm', variant: 'v7', os: 'linux', config: { Cmd: ['/bin/sh'] } },
  });
  expect(pushed.bytesUploaded).toBeGreaterThan(layer.byteLength);

  const before = await registry.mark();
  const { manifest, digest, bytes } = await registry.client.getManifest('hupbench/probe:v1');
  expect(digest).toBe(pushed.manifestDigest);
  expect(manifest.mediaType).toBe(MEDIA_TYPES.manifest);
  expect(manifest.layers).toHaveLength(1);
  expect(manifest.layers[0]!.digest).toBe(sha256Digest(layer));
  const blob = await registry.client.getBlob('hupbench/probe', manifest.layers[0]!.digest);
  expect(Buffer.compare(blob, layer)).toBe(0);
  const config = JSON.parse((await registry.client.getBlob('hupbench/probe', manifest.config.digest)).toString());
  expect(config.rootfs.diff_ids).toHaveLength(1);

  const served = await registry.bytesServed(before);
  expect(served.total).toBe(bytes.byteLength + layer.byteLength + manifest.config.size);
  expect(served.byRepository['hupbench/probe']).toBe(served.total);
  expect(await registry.client.tags('hupbench/probe')).toEqual(['v1']);

  // Pushing the same image again uploads nothing: the registry has every blob.
  const again = await registry.client.pushImage('hupbench/probe:v2', {
    layers: [{ gzip: layer }],
    config: { architecture: 'arm', os: 'linux', config: {} },
  });
  expect(again.bytesUploaded).toBeLessThan(1000);

  await registry.client.deleteTag('hupbench/probe:v1');
  await expect(registry.client.getManifest('hupbench/probe:v1')).rejects.toThrow(/HTTP 404/);
});

test('a registry stopped and started again (a fault) keeps its port, its images and its access log', async () => {
  test.setTimeout(120_000);
  await using registry = await startRegistry();
  const layer = gzipSync(Buffer.from('bytes after a restart\n'.repeat(500)));
  await registry.client.pushImage('hupbench/restart:v1', {
    layers: [{ gzip: layer }],
    config: { architecture: 'arm', os: 'linux', config: {} },
  });
  const { manifest } = await registry.client.getManifest('hupbench/restart:v1');
  await registry.client.getBlob('hupbench/restart', manifest.layers[0]!.digest);
  const beforeStop = await registry.mark();

  await stopRegistry(registry);
  await startRegistryAgain(registry);
  const mark = await registry.mark();
  expect(mark, 'nothing logged before the stop is read twice').toBeGreaterThanOrEqual(beforeStop);
  await registry.client.getBlob('hupbench/restart', manifest.layers[0]!.digest);
  const served = await registry.bytesServed(mark);
  expect(served.blobs, 'the restarted registry served the layer and its log says so').toBe(layer.byteLength);
  expect(served.requests).toBe(1);
  const blobGets = (await registry.accessLog()).filter(
    (e) => e.method === 'GET' && e.path.endsWith(manifest.layers[0]!.digest),
  );
  expect(blobGets, 'one GET of the layer before the stop and one after, none read twice').toHaveLength(2);
});
