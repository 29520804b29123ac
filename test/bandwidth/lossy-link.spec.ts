// The profile link's lossy, resetting registry (harness/profile/profile-link.ts) against a client that
// resumes broken downloads as an engine does (Range requests): the blob arrives whole, and the
// bandwidth accounting counts the retries and the bytes they cost, from the registry's own log.
import { expect, test } from '@playwright/test';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { accountUpdate } from '../../harness/bandwidth/account.ts';
import { applyLink } from '../../harness/profile/profile-link.ts';
import { startRegistry } from '../../harness/registry/registry.ts';

const ENGINE = { 'user-agent': 'docker/20.10.24 go/go1.19 (test: resumes like the engine)' };

/** Downloads a blob, resuming from where a broken response stopped (as the engine does); the bytes and the tries. */
async function resumingGet(url: string, size: number): Promise<{ body: Buffer; tries: number }> {
  const parts: Buffer[] = [];
  let have = 0;
  let tries = 0;
  while (have < size && tries < 200) {
    tries += 1;
    const headers = have ? { ...ENGINE, range: `bytes=${have}-` } : ENGINE;
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
      const reader = res.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(Buffer.from(value));
        have += value.byteLength;
      }
    } catch {
      // A reset or a cut body: resume from what arrived, after a pause (as an engine backs off).
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return { body: Buffer.concat(parts), tries };
}

test('over a lossy link with TCP resets a resumed pull completes, and its retries are counted and sized', async () => {
  test.setTimeout(180_000);
  await using registry = await startRegistry();
  const layer = gzipSync(randomBytes(6_000_000), { level: 0 });
  await registry.client.pushImage('resin/resinos:v9.9.9-lossy', {
    layers: [{ gzip: layer }],
    config: { architecture: 'arm', os: 'linux', config: {} },
  });
  const { manifest } = await registry.client.getManifest('resin/resinos:v9.9.9-lossy');
  const digest = manifest.layers[0]!.digest;
  const link = await applyLink(registry, { rateKbit: 4000, lossPercent: 1, resetEverySeconds: 3, outages: [] });
  expect(link.description).toMatch(/reset every 3 s/);
  const mark = await registry.mark();
  const startMs = Date.now() - 1000;
  let got: { body: Buffer; tries: number };
  try {
    got = await resumingGet(`${registry.url}/v2/resin/resinos/blobs/${digest}`, layer.byteLength);
  } finally {
    await link.restore();
  }
  expect(`sha256:${createHash('sha256').update(got.body).digest('hex')}`, 'the blob arrived whole').toBe(digest);
  const resets = link.resets();
  expect(resets.struck, `${resets.applied} resets, some met the download`).toBeGreaterThan(0);
  expect(got.tries, `${resets.struck} resets broke the download at least once`).toBeGreaterThan(1);

  const out = accountUpdate({
    entries: (await registry.accessLog()).slice(mark),
    phases: [{ name: 'pull', startMs }],
    blobSizes: new Map([[digest, layer.byteLength]]),
  });
  const retried = out.findings.find((f) => f.digest === digest);
  expect(retried, JSON.stringify(out.findings)).toMatchObject({ kind: 'retried', component: 'hostOS' });
  expect(retried!.requests, 'every try the registry saw').toBeGreaterThan(1);
  // The registry counts what it wrote; what a reset cut off in flight is the retries' cost.
  expect(out.components.hostOS).toBeGreaterThanOrEqual(layer.byteLength);
  expect(retried!.bytes).toBe(out.components.hostOS! - layer.byteLength);
});
