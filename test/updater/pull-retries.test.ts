// The updaters' pull retries, run as the scripts have them: each script's own retry function (cut out
// of the script, with its default tries and backoff) against a `docker` that fails a chosen number of
// pulls; what it prints is counted through the script's profile, as a run's output is.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import {
  contractOfScript,
  pullRetries,
  REFERENCE_PULL_RETRY,
  retryWindowS,
} from '../../harness/updater/profiles/index.ts';
import { updaterScript } from '../../harness/updater/script.ts';
import { linkDrop, OUTAGE_MS } from '../../harness/faults/link.ts';
import { ENGINE_STALL_S } from '../../harness/updater/profiles/index.ts';

const scripts = [
  { script: 'upgrade-2.x.sh', fn: 'pull_image', call: 'pull_image "$IMAGE" "$IMAGE"' },
  { script: 'upgrade-1.x-to-2.x.sh', fn: 'pull_image', call: 'pull_image "$IMAGE" "$IMAGE"' },
  { script: 'upgrade-1.x.sh', fn: 'pull_image', call: 'pull_image "$IMAGE" "$IMAGE"' },
  {
    script: 'resinhup-style/resinhup-2.x.sh',
    fn: 'pull_with_retries',
    call: 'pull_with_retries "$IMAGE" || log ERROR "Could not download $IMAGE after $pull_tries tries."',
  },
];

/** The script's defaults, its log/fail helpers and its retry function, then one pull of IMAGE. */
function harnessOf(source: string, fn: string, call: string): string {
  const lines = source.split('\n');
  const take = (start: RegExp) => {
    const from = lines.findIndex((l) => start.test(l));
    if (from < 0) throw new Error(`no line matching ${start} in the script`);
    const to = lines.findIndex((l, i) => i > from && /^}/.test(l));
    return lines.slice(from, lines[from]!.trimEnd().endsWith('}') ? from + 1 : to + 1).join('\n');
  };
  const defaults = lines.filter((l) => /^(PULL_TRIES|pull_tries)=/.test(l)).join('\n');
  const log = take(/^log\(\) \{/);
  const fail = /^fail\(\) \{/m.test(source) ? take(/^fail\(\) \{/) : '';
  return [
    'set -u',
    'PHASE=pull STARTTIME=$(date +%s)',
    defaults,
    log,
    fail,
    take(new RegExp(`^${fn}\\(\\) \\{`)),
    call,
  ].join('\n');
}

function run(entry: (typeof scripts)[number], failures: number, env: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'pull-retries-'));
  try {
    // A docker that fails its first `failures` pulls (a dropped link), then succeeds.
    writeFileSync(
      path.join(dir, 'docker'),
      `#!/bin/sh\nn=$(cat "${dir}/count" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "${dir}/count"\n[ "$n" -gt ${failures} ]\n`,
    );
    chmodSync(path.join(dir, 'docker'), 0o755);
    const script = harnessOf(readFileSync(updaterScript(entry.script), 'utf8'), entry.fn, entry.call);
    const r = spawnSync('sh', ['-c', script], {
      encoding: 'utf8',
      env: { PATH: `${dir}:${process.env.PATH}`, IMAGE: 'reg:5000/resin/resinos:2.12.3_rev1-bbb', ...env },
    });
    const pulls = Number(readFileSync(path.join(dir, 'count'), 'utf8'));
    return { status: r.status, output: r.stdout + r.stderr, pulls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const entry of scripts) {
  const { contract } = contractOfScript(entry.script);
  test(`${entry.script}: a pull that fails twice succeeds on the third try, each failure counted`, () => {
    const r = run(entry, 2, { HUP_PULL_BACKOFF: '0' });
    expect(r.status, r.output).toBe(0);
    expect(r.pulls).toBe(3);
    const retries = pullRetries(r.output, contract);
    expect(
      retries.map((t) => `${t.try}/${t.of}`),
      r.output,
    ).toEqual(['1/3', '2/3']);
    expect(retries.every((t) => t.image === 'reg:5000/resin/resinos:2.12.3_rev1-bbb')).toBe(true);
  });

  test(`${entry.script}: tries are bounded, and the failure names how many`, () => {
    const r = run(entry, 99, { HUP_PULL_TRIES: '2', HUP_PULL_BACKOFF: '0' });
    expect(r.status).toBe(1);
    expect(r.pulls, 'tries made').toBe(2);
    expect(r.output).toMatch(/after 2 tries/);
    expect(pullRetries(r.output, contract).length, 'failed tries followed by another').toBe(1);
  });

  test(`${entry.script}: waits n x backoff after the n-th failed try`, () => {
    const started = Date.now();
    const r = run(entry, 2, { HUP_PULL_BACKOFF: '1' });
    expect(r.status, r.output).toBe(0);
    expect(pullRetries(r.output, contract).map((t) => t.waitS)).toEqual([1, 2]);
    expect(Date.now() - started, 'the waits were slept').toBeGreaterThanOrEqual(3000);
  });

  test(`${entry.script}: its default tries and backoff are the harness's (REFERENCE_PULL_RETRY)`, () => {
    const source = readFileSync(updaterScript(entry.script), 'utf8');
    expect(source).toMatch(new RegExp(`=\\$\\{HUP_PULL_TRIES:-${REFERENCE_PULL_RETRY.tries}\\}`));
    expect(source).toMatch(new RegExp(`=\\$\\{HUP_PULL_BACKOFF:-${REFERENCE_PULL_RETRY.backoffS}\\}`));
  });
}

test('the retry window: three tries each stalled 30 s, and waits of 5 and 10 s', () => {
  expect(retryWindowS({ tries: 3, backoffS: 5 })).toBe(105);
  expect(retryWindowS({ tries: 1, backoffS: 5 })).toBe(30);
});

test('a bad --pull-tries is refused naming the flag, before anything else', () => {
  // Note: bash, as the device's busybox ash, has `set -o pipefail`; this machine's dash stops at it.
  for (const script of ['upgrade-2.x.sh', 'upgrade-1.x-to-2.x.sh', 'upgrade-1.x.sh']) {
    const r = spawnSync('bash', [updaterScript(script), '--hostos-version', '2.12.3+rev1', '--pull-tries', 'x'], {
      encoding: 'utf8',
    });
    expect(r.status, script).toBe(1);
    expect(r.stderr).toMatch(/--pull-tries \(or HUP_PULL_TRIES\) must be a whole number of at least 1, not 'x'/);
  }
});

test("network-down outlasts the retry window; link-drop's limit outlasts the engine's stall timeout", () => {
  const window = retryWindowS() * 1000;
  expect(OUTAGE_MS, 'network-down outlasts every try and wait').toBeGreaterThan(window);
  expect(linkDrop.outageMs, 'link-drop outlasts the engine stall timeout (the try fails)').toBeGreaterThan(
    ENGINE_STALL_S * 1000,
  );
  // It comes back as the engine gives up on the layer, before the next try; the limit is only a ceiling.
});
