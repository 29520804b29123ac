// A lease on a rig: one lock file per rig on this host, held for a run, so two runs never drive one
// board. The file says who holds it (pid, host, command, since when); a lock whose pid is gone is
// stale and taken over.
import { hostname } from 'node:os';
import { mkdir, open, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { unlinkSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cacheDir } from '../../images/lib/cache.ts';
import { InfraError } from '../errors.ts';

export interface LeaseHolder {
  pid: number;
  host: string;
  command: string;
  /** ISO time the lease was taken. */
  since: string;
}

export class RigLeaseError extends InfraError {
  override name = 'RigLeaseError';
  constructor(
    message: string,
    readonly holder?: LeaseHolder,
  ) {
    super(message);
  }
}

export interface RigLease extends AsyncDisposable {
  readonly rigName: string;
  readonly file: string;
  readonly holder: LeaseHolder;
  /** A stale lease this one replaced, if any. */
  readonly tookOverFrom?: LeaseHolder;
  release(): Promise<void>;
}

/**
 * Where leases live: HUPBENCH_LEASE_DIR, else /run/lock/hupbench (shared by every checkout on this
 * host), else .cache/leases when /run/lock is not writable.
 */
export async function leaseDir(): Promise<string> {
  if (process.env.HUPBENCH_LEASE_DIR) return process.env.HUPBENCH_LEASE_DIR;
  const shared = '/run/lock/hupbench';
  try {
    await mkdir(shared, { recursive: true, mode: 0o1777 });
    const probe = path.join(shared, `.probe-${process.pid}`);
    await (await open(probe, 'w')).close();
    await rm(probe);
    return shared;
  } catch {
    return path.join(cacheDir, 'leases');
  }
}

/** Takes the lease on `rigName` or throws a RigLeaseError naming who holds it. */
export async function acquireRigLease(
  rigName: string,
  opts: { dir?: string; command?: string } = {},
): Promise<RigLease> {
  const dir = opts.dir ?? (await leaseDir());
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${rigName}.lock`);
  const holder: LeaseHolder = {
    pid: process.pid,
    host: hostname(),
    command: opts.command ?? process.argv.slice(1).join(' '),
    since: new Date().toISOString(),
  };
  let tookOverFrom: LeaseHolder | undefined;
  for (let attempt = 0; ; attempt++) {
    if (await createExclusive(file, `${JSON.stringify(holder, null, 2)}\n`)) break;
    const current = await readHolder(file);
    if (current === 'gone') continue; // released between our create and read: try again
    if (current !== 'unreadable' && !isStale(current))
      throw new RigLeaseError(describeHeld(rigName, file, current), current);
    if (attempt >= 3)
      throw new RigLeaseError(
        `Rig ${rigName}: could not take over the stale lease ${file} (others are racing for it). Try again.`,
      );
    if (await takeOverStale(file, current)) tookOverFrom = current === 'unreadable' ? undefined : current;
  }
  // Note: a run that exits without disposing (process.exit, an uncaught error) still frees the rig.
  const onExit = () => releaseSync(file, holder);
  process.once('exit', onExit);
  const release = async () => {
    process.off('exit', onExit);
    releaseSync(file, holder);
  };
  return { rigName, file, holder, tookOverFrom, release, [Symbol.asyncDispose]: release };
}

/** Who holds the lease on `rigName`, if anyone (stale leases included, marked). */
export async function leaseHolder(
  rigName: string,
  opts: { dir?: string } = {},
): Promise<(LeaseHolder & { stale: boolean }) | undefined> {
  const current = await readHolder(path.join(opts.dir ?? (await leaseDir()), `${rigName}.lock`));
  return typeof current === 'string' ? undefined : { ...current, stale: isStale(current) };
}

function describeHeld(rigName: string, file: string, h: LeaseHolder): string {
  const minutes = Math.round((Date.now() - Date.parse(h.since)) / 60_000);
  return (
    `Rig ${rigName} is in use: leased by pid ${h.pid} on ${h.host} since ${h.since} (${minutes} min ago), running: ${h.command}\n` +
    `Wait for that run to finish, or pick another rig. If that process is gone from ${h.host}, remove ${file}.`
  );
}

/** Dead on this host (no such pid) is stale; a holder on another host is never judged from here. */
function isStale(h: LeaseHolder): boolean {
  if (h.host !== hostname()) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function createExclusive(file: string, content: string): Promise<boolean> {
  try {
    const handle = await open(file, 'wx');
    await handle.writeFile(content);
    await handle.close();
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new RigLeaseError(
      `Cannot create the lease ${file}: ${(e as Error).message}. Set HUPBENCH_LEASE_DIR to a writable directory.`,
    );
  }
}

async function readHolder(file: string): Promise<LeaseHolder | 'gone' | 'unreadable'> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as LeaseHolder;
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string' ? parsed : 'unreadable';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'unreadable';
  }
}

/**
 * Moves a stale lease aside, once: a `.takeover` directory (mkdir is atomic) lets only one
 * contender re-check and remove it, so two runs cannot each remove the other's fresh lease.
 */
async function takeOverStale(file: string, seen: LeaseHolder | 'unreadable'): Promise<boolean> {
  const guard = `${file}.takeover`;
  try {
    await mkdir(guard);
  } catch {
    // Another contender is taking over; a guard left by a crash mid-takeover expires after 30 s.
    const age = await stat(guard).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > 30_000) await rmdir(guard).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    return false;
  }
  try {
    const now = await readHolder(file);
    const same =
      now === 'unreadable'
        ? seen === 'unreadable'
        : now !== 'gone' && seen !== 'unreadable' && now.pid === seen.pid && now.since === seen.since;
    if (!same) return false;
    await rename(file, `${file}.stale-${process.pid}`);
    await rm(`${file}.stale-${process.pid}`, { force: true });
    return true;
  } finally {
    await rmdir(guard).catch(() => undefined);
  }
}

function releaseSync(file: string, holder: LeaseHolder): void {
  try {
    const current = JSON.parse(readFileSync(file, 'utf8')) as LeaseHolder;
    // Only our own lease: never remove one that was taken over and is someone else's now.
    if (current.pid === holder.pid && current.since === holder.since && current.host === holder.host) unlinkSync(file);
  } catch {
    // already gone
  }
}

export interface InstanceLease extends RigLease {
  /** Which of the rig's `instances` this run drives (0-based): it names its files. */
  readonly instance: number;
}

/**
 * One of the `instances` copies of a rig this host may run (rig file `instances: N`): the preferred
 * slot when free (a worker's parallelIndex), else the next free one; when all N are in use, by this
 * run or another, waits up to `timeoutMs` for one and then says who holds them.
 */
export async function acquireInstanceLease(
  rigName: string,
  instances: number,
  opts: { preferred?: number; dir?: string; timeoutMs?: number } = {},
): Promise<InstanceLease> {
  const timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  const deadline = Date.now() + timeoutMs;
  const first = (opts.preferred ?? 0) % instances;
  for (;;) {
    const refusals: string[] = [];
    for (let k = 0; k < instances; k++) {
      const instance = (first + k) % instances;
      try {
        const lease = await acquireRigLease(`${rigName}.${instance}`, { dir: opts.dir });
        return Object.assign(lease, { instance });
      } catch (error) {
        if (!(error instanceof RigLeaseError)) throw error;
        refusals.push(error.message.split('\n')[0]!);
      }
    }
    if (Date.now() >= deadline) {
      throw new RigLeaseError(
        `All ${instances} instance(s) of rig ${rigName} stayed in use for ${Math.round(timeoutMs / 1000)} s:\n${refusals.join('\n')}\nRaise \`instances\` in rigs/${rigName}.yaml if this host can run more, or wait for the other run.`,
      );
    }
    // Note: another run's board is released at its end; a lease file has no event to wait on.
    await new Promise((r) => setTimeout(r, 1000));
  }
}
