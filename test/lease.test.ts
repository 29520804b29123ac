// The rig lease: one run per board. A second taker is told who holds it; a dead holder's lease is
// taken over; a lease is released only by its holder.
import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { acquireInstanceLease, acquireRigLease, leaseHolder, RigLeaseError } from '../harness/rig/lease.ts';

let dir: string;
test.beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hupbench-lease-'));
});
test.afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a held rig is refused with who holds it: pid, host, command and since when', async () => {
  const first = await acquireRigLease('bench-1', { dir, command: 'playwright test suites/boot.spec.ts' });
  const error = await acquireRigLease('bench-1', { dir }).catch((e: Error) => e);
  expect(error).toBeInstanceOf(RigLeaseError);
  const message = (error as Error).message;
  expect(message).toContain(
    `Rig bench-1 is in use: leased by pid ${process.pid} on ${hostname()} since ${first.holder.since}`,
  );
  expect(message).toContain('running: playwright test suites/boot.spec.ts');
  expect(message).toContain(`remove ${path.join(dir, 'bench-1.lock')}`);
  // Another rig is free meanwhile.
  const other = await acquireRigLease('bench-2', { dir });
  await other.release();
  await first.release();
  const again = await acquireRigLease('bench-1', { dir });
  await again.release();
  expect(await leaseHolder('bench-1', { dir })).toBeUndefined();
});

test('a lease held by a live process elsewhere blocks; once that process is gone it is taken over', async () => {
  // A real other process takes the lease and stays alive until told to stop.
  const script = path.join(dir, 'holder.mts');
  await writeFile(
    script,
    [
      `const { acquireRigLease } = await import(${JSON.stringify(path.resolve('harness/rig/lease.ts'))});`,
      `await acquireRigLease('bench-1', { dir: ${JSON.stringify(dir)}, command: 'the other run' });`,
      `console.log('held');`,
      `process.stdin.resume();`,
    ].join('\n'),
  );
  const holder = spawn(path.resolve('node_modules/.bin/tsx'), [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    holder.once('exit', (code) => reject(new Error(`lease holder exited ${code}`)));
  });
  const recorded = JSON.parse(await readFile(path.join(dir, 'bench-1.lock'), 'utf8'));
  const held = await acquireRigLease('bench-1', { dir }).catch((e: Error) => e);
  expect((held as Error).message).toMatch(new RegExp(`leased by pid ${recorded.pid} on .* running: the other run`));
  expect(await leaseHolder('bench-1', { dir })).toMatchObject({ pid: recorded.pid, stale: false });

  // The holder dies without releasing (SIGKILL: no exit handler runs): its lease is stale.
  const exited = new Promise((r) => holder.once('exit', r));
  process.kill(recorded.pid, 'SIGKILL');
  holder.kill('SIGKILL');
  await exited;
  await expect
    .poll(async () => (await leaseHolder('bench-1', { dir }))?.stale, {
      message: "the dead holder's lease is seen as stale",
    })
    .toBe(true);
  const taken = await acquireRigLease('bench-1', { dir });
  expect(taken.tookOverFrom?.pid).toBe(recorded.pid);
  expect(JSON.parse(await readFile(taken.file, 'utf8')).pid).toBe(process.pid);
  await taken.release();
});

test('releasing never removes a lease that is no longer ours', async () => {
  const lease = await acquireRigLease('bench-1', { dir });
  // Someone else's lease replaced ours (e.g. ours was judged stale from another checkout).
  const theirs = { pid: 1, host: hostname(), command: 'init', since: new Date().toISOString() };
  await writeFile(lease.file, JSON.stringify(theirs));
  await lease.release();
  expect(JSON.parse(await readFile(lease.file, 'utf8'))).toEqual(theirs);
});

test('an unreadable lease file from a crash is taken over', async () => {
  await writeFile(path.join(dir, 'bench-1.lock'), '{"pid": 12');
  const lease = await acquireRigLease('bench-1', { dir });
  expect(JSON.parse(await readFile(lease.file, 'utf8')).pid).toBe(process.pid);
  await lease.release();
});

test('QEMU instances: each worker gets its own, preferring its parallelIndex; a run past the count waits, then says who holds them', async () => {
  const a = await acquireInstanceLease('qemu-x', 2, { dir, preferred: 1 });
  const b = await acquireInstanceLease('qemu-x', 2, { dir, preferred: 1 });
  expect([a.instance, b.instance]).toEqual([1, 0]);
  // Both held: a third taker waits, and gets the instance freed while it waits.
  const waiting = acquireInstanceLease('qemu-x', 2, { dir, preferred: 0, timeoutMs: 20_000 });
  setTimeout(() => void a.release(), 1500);
  const c = await waiting;
  expect(c.instance).toBe(1);
  const error = await acquireInstanceLease('qemu-x', 2, { dir, timeoutMs: 1 }).catch((e: Error) => e);
  expect(error).toBeInstanceOf(RigLeaseError);
  expect((error as Error).message).toMatch(/All 2 instance\(s\) of rig qemu-x stayed in use/);
  expect((error as Error).message).toContain(`Rig qemu-x.0 is in use: leased by pid ${process.pid}`);
  await b.release();
  await c.release();
});
