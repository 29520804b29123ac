// What can go wrong with the registry while a device updates: it goes away (the container is
// stopped, and started again on the same port), or the path to it is slow (the container's egress
// shaped with tc's token bucket filter, in its own network namespace; nothing else is touched).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { StartedRegistry } from './registry.ts';
import { waitFor } from '../wait.ts';

const run = promisify(execFile);

export async function stopRegistry(registry: StartedRegistry): Promise<void> {
  await run('docker', ['stop', '--time', '1', registry.containerId]);
}

/** Starts a stopped registry again and waits until it answers on its old port. */
export async function startRegistryAgain(registry: StartedRegistry): Promise<void> {
  // Lines logged from here on are the restarted registry's; the earlier ones are already recorded.
  const since = Date.now() / 1000;
  await run('docker', ['start', registry.containerId]);
  await registry.followLogAgain(since);
  await waitFor(async () => ((await fetch(`${registry.url}/v2/`)).ok ? true : undefined), {
    timeoutMs: 30_000,
    what: `the registry answering on ${registry.url} after a restart`,
  });
}

/** Runs a command in the registry container's network namespace (its link); its stdout. */
export async function inRegistryNetns(registry: StartedRegistry, args: string[]): Promise<string> {
  const { stdout } = await run('docker', ['inspect', '-f', '{{.State.Pid}}', registry.containerId]);
  const pid = stdout.trim();
  if (!pid || pid === '0')
    throw new Error(
      `The registry container ${registry.containerId.slice(0, 12)} is not running; cannot reach its network namespace`,
    );
  try {
    return (await run('nsenter', ['-t', pid, '-n', ...args])).stdout;
  } catch (error) {
    throw new Error(
      `${args.join(' ')} in the registry's network namespace failed (needs root, tc's sch_tbf and iptables): ${(error as Error).message}`,
    );
  }
}

/**
 * Limits what the registry sends to `kbitPerSecond` (e.g. 384 for an EDGE/GPRS-class link). A token
 * bucket, not a hand-written shaper: queued packets wait, none are dropped for being early.
 */
export async function shapeRegistry(registry: StartedRegistry, kbitPerSecond: number): Promise<void> {
  await inRegistryNetns(registry, [
    'tc',
    'qdisc',
    'replace',
    'dev',
    'eth0',
    'root',
    'tbf',
    'rate',
    `${kbitPerSecond}kbit`,
    'burst',
    '32kbit',
    'latency',
    '2s',
  ]);
}

export async function unshapeRegistry(registry: StartedRegistry): Promise<void> {
  await inRegistryNetns(registry, ['tc', 'qdisc', 'del', 'dev', 'eth0', 'root']).catch(() => undefined);
}
