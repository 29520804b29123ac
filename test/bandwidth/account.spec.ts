// The update's bandwidth split by component and phase, and its findings: first from access log lines
// as the registry writes them, then against the real registry with a device-like client.
import { expect, test } from '@playwright/test';
import { gzipSync, gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { accountUpdate } from '../../harness/bandwidth/account.ts';
import { parseAccessLogLine, parseLogTime, requestKind } from '../../harness/registry/access-log.ts';
import { startRegistry } from '../../harness/registry/registry.ts';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const line = (time: string, method: string, path: string, status: number, bytes: number, agent = 'docker/20.10.24') =>
  `172.17.0.1 - - [30/Nov/2026:${time} +0000] "${method} ${path} HTTP/1.1" ${status} ${bytes} "" "${agent}"`;
const at = (time: string) => parseLogTime(`30/Nov/2026:${time} +0000`);

test('the access log time reads as ms since the epoch, its offset applied', () => {
  expect(parseLogTime('30/Nov/2026:10:00:00 +0000')).toBe(Date.UTC(2026, 10, 30, 10, 0, 0));
  expect(parseLogTime('30/Nov/2026:12:00:00 +0200')).toBe(Date.UTC(2026, 10, 30, 10, 0, 0));
  expect(parseLogTime('yesterday')).toBeNaN();
});

test('a request path names what it fetched: a blob by digest, a manifest by tag, an upload as neither', () => {
  expect(requestKind({ path: `/v2/resin/resinos/blobs/${digest('a')}` })).toEqual({
    kind: 'blob',
    repository: 'resin/resinos',
    reference: digest('a'),
  });
  expect(requestKind({ path: '/v2/hupbench/app/manifests/preloaded?x=1' })).toEqual({
    kind: 'manifest',
    repository: 'hupbench/app',
    reference: 'preloaded',
  });
  expect(requestKind({ path: '/v2/hupbench/app/blobs/uploads/0d1e?_state=abc' })).toEqual({ kind: 'other' });
  expect(requestKind({ path: '/v2/' })).toEqual({ kind: 'other' });
});

test('bytes split by component and phase; the harness own requests and failures are not billed', () => {
  const entries = [
    line('10:00:01', 'GET', '/v2/', 200, 2),
    line('10:00:01', 'GET', '/v2/resin/resinos/manifests/v2.12.3_rev1-beaglebone-black', 200, 900),
    line('10:00:02', 'GET', `/v2/resin/resinos/blobs/${digest('a')}`, 200, 98_000_000),
    line('10:00:40', 'HEAD', '/v2/resin/armv7hf-supervisor/manifests/v7.16.6', 200, 0),
    line('10:00:41', 'GET', `/v2/resin/armv7hf-supervisor/blobs/${digest('b')}`, 200, 14_000_000),
    line('10:00:42', 'GET', `/v2/resin/resinos/blobs/${digest('c')}`, 404, 150),
    line('10:00:43', 'GET', `/v2/resin/resinos/blobs/${digest('a')}`, 200, 5, 'node'),
    line('10:00:44', 'GET', '/v2/_hupbench/sync/x', 404, 19, 'Wget'),
    line('10:02:00', 'GET', `/v2/hupbench/app/blobs/${digest('d')}`, 200, 339_000_000),
  ].map((l) => parseAccessLogLine(l)!);
  const out = accountUpdate({
    entries,
    phases: [
      { name: 'pull', startMs: at('10:00:00') },
      { name: 'supervisor', startMs: at('10:00:40') + 200 },
      { name: 'reboot and the new OS until settled', startMs: at('10:01:30') },
    ],
    held: new Set([digest('d')]),
  });
  expect(out.components).toEqual({ protocol: 902, hostOS: 98_000_000, supervisor: 14_000_000, app: 339_000_000 });
  expect(out.requests).toBe(6);
  expect(out.registryBytes).toBe(98_000_902 + 14_000_000 + 339_000_000);
  expect(out.phases.map((p) => [p.name, p.bytes])).toEqual([
    ['pull', 98_000_902],
    ['supervisor', 14_000_000],
    ['reboot and the new OS until settled', 339_000_000],
  ]);
  expect(out.findings).toHaveLength(1);
  expect(out.findings[0]).toMatchObject({
    kind: 'held-pulled-again',
    component: 'app',
    bytes: 339_000_000,
    phase: 'reboot and the new OS until settled',
  });
  expect(out.findings[0]!.detail).toMatch(/app blob hupbench\/app@d{12} \(323\.3 MiB\).*pulled again: 323\.3 MiB/);
});

test('a blob served whole twice is a double download; one resumed in parts is a retry, sized', () => {
  const entries = [
    line('10:00:02', 'GET', `/v2/resin/resinos/blobs/${digest('a')}`, 200, 1000),
    line('10:05:02', 'GET', `/v2/resin/resinos/blobs/${digest('a')}`, 200, 1000),
    line('10:00:03', 'GET', `/v2/resin/armv7hf-supervisor/blobs/${digest('b')}`, 200, 400),
    line('10:00:09', 'GET', `/v2/resin/armv7hf-supervisor/blobs/${digest('b')}`, 206, 600),
    line('10:00:10', 'GET', `/v2/resin/resinhup-tools/blobs/${digest('c')}`, 200, 300),
    line('10:00:20', 'GET', `/v2/resin/resinhup-tools/blobs/${digest('c')}`, 200, 500),
  ].map((l) => parseAccessLogLine(l)!);
  const out = accountUpdate({
    entries,
    phases: [
      { name: 'pull', startMs: at('10:00:00') },
      { name: 'reboot and the new OS until settled', startMs: at('10:04:00') },
    ],
    blobSizes: new Map([
      [digest('b'), 1000],
      [digest('c'), 500],
    ]),
  });
  const by = Object.fromEntries(out.findings.map((f) => [f.component, f]));
  expect(by.hostOS).toMatchObject({
    kind: 'served-twice',
    bytes: 1000,
    requests: 2,
    phase: 'pull, reboot and the new OS until settled',
  });
  expect(by.supervisor).toMatchObject({ kind: 'retried', bytes: 0, requests: 2 });
  expect(by.tools).toMatchObject({ kind: 'retried', bytes: 300, requests: 2 });
  expect(out.findings.map((f) => f.component)).toEqual(['hostOS', 'tools', 'supervisor']);
});

test('against the real registry: a device-like pull, a resumed download and a second pull are found', async () => {
  test.setTimeout(120_000);
  await using registry = await startRegistry();
  const layer = gzipSync(randomBytes(200_000));
  await registry.client.pushImage('resin/resinos:v9.9.9-test', {
    layers: [{ gzip: layer }],
    config: { architecture: 'arm', os: 'linux', config: {} },
  });
  const { manifest } = await registry.client.getManifest('resin/resinos:v9.9.9-test');
  const layerPath = `/v2/resin/resinos/blobs/${manifest.layers[0]!.digest}`;
  const mark = await registry.mark();
  const startMs = Date.now() - 1000;
  const device = { 'user-agent': 'docker/20.10.24 go/go1.19' };
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${registry.url}${path}`, { headers: { ...device, ...headers } });
    return Buffer.from(await res.arrayBuffer());
  };
  await get('/v2/resin/resinos/manifests/v9.9.9-test', { accept: manifest.mediaType });
  const first = await get(layerPath, { range: 'bytes=0-99999' });
  const rest = await get(layerPath, { range: 'bytes=100000-' });
  expect(gunzipSync(Buffer.concat([first, rest])).byteLength, 'the parts make the layer').toBe(200_000);
  await get(layerPath);
  const out = accountUpdate({
    entries: (await registry.accessLog()).slice(mark),
    phases: [{ name: 'pull', startMs }],
    blobSizes: new Map([[manifest.layers[0]!.digest, layer.byteLength]]),
  });
  expect(out.components.hostOS).toBe(2 * layer.byteLength);
  expect(out.components.protocol).toBeGreaterThan(0);
  expect(out.findings).toHaveLength(1);
  expect(out.findings[0]).toMatchObject({ kind: 'served-twice', bytes: layer.byteLength, requests: 3 });
});
