// Phase snapshots are keyed by what the recording ran: the same subject and phase find the same
// folder, any change to the subject (a new registry, another updater script) or the phase another;
// one worker at a time records a subject (the others wait on its lock), and a lock whose holder died
// is taken over.
import { test, expect } from '@playwright/test';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { QemuRigConfig } from '../../harness/rig/rig-config.ts';
import type { QemuRigParts } from '../../harness/rig/qemu/rig-parts.ts';

// Note: test files are loaded by Playwright's runner too: nothing here may change the environment
// (a HUPBENCH_CACHE set at load time reached every worker started after it). The test board's
// folder under the real cache is removed afterwards.
import { cacheDir } from '../../images/lib/cache.ts';
import { lockSubject, phaseSnapshotDir, subjectHash } from '../../harness/rig/qemu/phase-snapshot.ts';

const dir = path.join(cacheDir, 'phase-snapshots', 'qemu-test-board');
test.afterAll(() => rm(dir, { recursive: true, force: true }));

const config = {
  name: 'qemu-test-board',
  kind: 'qemu',
  deviceType: 'beaglebone-black',
  memoryMiB: 512,
  bootTimeoutSeconds: 120,
  instances: 1,
} as unknown as QemuRigConfig;
const rig = { config, board: { binary: 'qemu-system-arm' } } as unknown as QemuRigParts;
const subject = {
  image: '/images/2.9.7.img',
  updater: 'upgrade-2.x.sh',
  code: 'abc',
  registry: 'http://10.0.2.2:5000',
};

test('a subject and phase key one folder; a change to either keys another', async () => {
  const pull = await phaseSnapshotDir(config, 'qemu-system-arm', { subject, phase: 'pull' });
  expect(await phaseSnapshotDir(config, 'qemu-system-arm', { subject: { ...subject }, phase: 'pull' })).toBe(pull);
  expect(path.basename(pull)).toBe('pull');
  expect(pull.startsWith(dir)).toBe(true);
  const checks = await phaseSnapshotDir(config, 'qemu-system-arm', { subject, phase: 'checks' });
  expect(path.dirname(checks), 'the phases of one subject share its folder').toBe(path.dirname(pull));
  const moved = { ...subject, registry: 'http://10.0.2.2:5001' };
  expect(await subjectHash(config, 'qemu-system-arm', moved)).not.toBe(
    await subjectHash(config, 'qemu-system-arm', subject),
  );
  expect(await subjectHash(config, 'qemu-system-arm', { ...subject, code: 'abd' })).not.toBe(
    await subjectHash(config, 'qemu-system-arm', subject),
  );
  await expect(phaseSnapshotDir(config, 'qemu-system-arm', { subject, phase: '../x' })).rejects.toThrow(/phase name/);
});

test('one recording of a subject at a time: the second waits for the first to let go', async () => {
  const release = await lockSubject(rig, subject, 10_000);
  let second = false;
  const waiting = lockSubject(rig, subject, 10_000).then((r) => {
    second = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 500));
  expect(second, 'the lock is held').toBe(false);
  await release();
  await (await waiting)();
  expect(second).toBe(true);
});

test('a lock whose recording died is taken over', async () => {
  const hash = await subjectHash(config, 'qemu-system-arm', subject);
  // A pid that cannot be running (above the kernel's pid_max).
  await writeFile(path.join(dir, `.${hash}.lock`), '99999999');
  const release = await lockSubject(rig, subject, 1000);
  await release();
});
