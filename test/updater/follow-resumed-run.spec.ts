// Following a detached run that is already under way (a board resumed from a phase snapshot): the
// follower connects first, reads the output file on from the byte the recording reached, ends with the
// exit code; a power cut while it is still connecting ends it at once. The phase tracker of a resumed
// run keeps the recording's first phases and arms the fault from the resume. A fake device runs the
// follower's shell locally.
import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Device } from '../../harness/device/device.ts';
import { followDetached } from '../../harness/updater/detached-run.ts';
import { PhaseTracker } from '../../harness/updater/phase-tracker.ts';

/** Runs commands with the local shell; `connect` resolves when `reachable` does. */
function localDevice(reachable: Promise<void> = Promise.resolve()) {
  const calls = { connects: 0, disconnects: 0 };
  const device = {
    connect: async () => {
      calls.connects++;
      await reachable;
    },
    disconnect: async () => {
      calls.disconnects++;
    },
    exec: (command: string, opts: { onStdout?: (chunk: string) => void } = {}) =>
      new Promise((resolve) => {
        const child = spawn('sh', ['-c', command]);
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          opts.onStdout?.(d.toString());
        });
        child.on('exit', (code) => resolve({ exitCode: code ?? 255, stdout, stderr: '' }));
      }),
  } as unknown as Device;
  return { device, calls };
}

const options = { timeoutMs: 20_000, reconnectTimeoutMs: 5000, onConnectionLost: () => 'give-up' as const };

test('a resumed run is followed from the byte the recording reached to its exit code', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'hupbench-follow-'));
  try {
    const handle = { out: path.join(dir, 'run.out'), rc: path.join(dir, 'run.rc') };
    const recorded = '[hup] phase=checks\n[hup] phase=pull\n';
    await writeFile(handle.out, `${recorded}pulling lay`);
    const { device, calls } = localDevice();
    const chunks: string[] = [];
    const following = followDetached(device, handle, {
      ...options,
      offset: Buffer.byteLength(recorded),
      onOutput: (c) => chunks.push(c),
    });
    await new Promise((r) => setTimeout(r, 500));
    await appendFile(handle.out, 'er 1\n[hup] phase=export\n');
    await writeFile(handle.rc, '0\n');
    const result = await following;
    expect(calls.connects, 'a resumed board has no connection yet: the follower makes one').toBe(1);
    expect(result.exitCode).toBe(0);
    expect(result.output).toBe('pulling layer 1\n[hup] phase=export\n');
    expect(chunks.join('')).toBe(result.output);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a cut while the follower is still connecting ends it at once, the connection dropped', async () => {
  const never = new Promise<void>(() => undefined);
  const { device, calls } = localDevice(never);
  let cut!: () => void;
  const stopped = new Promise<void>((r) => (cut = r));
  const started = Date.now();
  const following = followDetached(
    device,
    { out: '/nonexistent/out', rc: '/nonexistent/rc' },
    {
      ...options,
      offset: 10,
      stopped,
    },
  );
  setTimeout(cut, 200);
  const result = await following;
  expect(Date.now() - started).toBeLessThan(2000);
  expect(result.exitCode).toBeUndefined();
  expect(result.output).toBe('');
  expect(calls.disconnects).toBeGreaterThanOrEqual(1);
});

test("a resumed run keeps the recording's first phases and arms the cut from the resume", async () => {
  const resumedAt = Date.now();
  const elapsedMs = 30_000;
  let struckAt = 0;
  const tracker = new PhaseTracker(
    (_, body) => body(),
    {
      phase: 'pull',
      afterMs: 300,
      action: async () => {
        struckAt = Date.now();
      },
    },
    resumedAt - elapsedMs,
  );
  tracker.resumeAt(
    [
      { name: 'checks', startedAtMs: 1000, durationMs: 4000 },
      { name: 'stop-supervisor', startedAtMs: 5000, durationMs: 25_000 },
      { name: 'pull', startedAtMs: 30_000, durationMs: 0 },
    ],
    'pull',
  );
  const injected = await tracker.injected();
  expect(struckAt - resumedAt, 'the cut comes afterMs after the resume').toBeGreaterThanOrEqual(290);
  expect(injected?.phase).toBe('pull');
  expect(injected!.atMs).toBeGreaterThanOrEqual(elapsedMs + 290);
  await tracker.end(Date.now());
  expect(tracker.phases.map((p) => p.name)).toEqual(['checks', 'stop-supervisor', 'pull']);
  expect(tracker.phases[0]).toEqual({ name: 'checks', startedAtMs: 1000, durationMs: 4000 });
  expect(tracker.phases[2]!.startedAtMs).toBeGreaterThanOrEqual(elapsedMs);
});

test('a phase the recording never reached cannot be resumed', () => {
  const tracker = new PhaseTracker((_, body) => body(), undefined);
  expect(() => tracker.resumeAt([{ name: 'checks', startedAtMs: 0, durationMs: 0 }], 'pull')).toThrow(
    /never reached phase pull/,
  );
});
