// Several processes that need the device key at once (Playwright's workers on a fresh clone) end up
// with one key pair, and none of them stops at ssh-keygen's overwrite prompt.
import { test, expect } from '@playwright/test';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { $ } from 'zx';

test('four processes asking for the device key at once get the same key pair', async () => {
  test.setTimeout(60_000);
  const cache = await mkdtemp(path.join(tmpdir(), 'hupbench-key-'));
  try {
    const keys = path.resolve('images/lib/keys.ts');
    const script = `import(${JSON.stringify(keys)}).then(async (m) => console.log((await m.ensureDeviceKey()).publicKey.trim()))`;
    const runs = await Promise.all(
      [1, 2, 3, 4].map(
        () => $({ env: { ...process.env, HUPBENCH_CACHE: cache }, timeout: 30_000 })`npx tsx -e ${script} < /dev/null`,
      ),
    );
    const publicKeys = new Set(runs.map((r) => r.stdout.trim()));
    expect(publicKeys.size).toBe(1);
    expect([...publicKeys][0]).toMatch(/^ssh-ed25519 \S+ hupbench$/);
    expect((await readdir(cache)).sort()).toEqual(['keys']);
    expect((await readdir(path.join(cache, 'keys'))).sort()).toEqual(['hupbench_ed25519', 'hupbench_ed25519.pub']);
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
});
