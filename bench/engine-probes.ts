// What bench/engine-real.ts asks a booted device about its container engine: readiness, memory,
// timed pulls and exports, and the docker commands the updaters run. Works with either engine
// (images/lib/engine.ts): it reads the names through `docker ps --format`, which both answer alike.
import type { Device } from '../harness/device/device.ts';
import type { StartedRegistry } from '../harness/registry/index.ts';

const MiB = 1024 * 1024;

/** Polls `probe` every `everyMs` until it answers, or throws naming `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`Timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}

/** Names of the running containers (`docker ps --format`, which both engines answer alike). */
export async function runningNames(device: Device): Promise<string[]> {
  const out = await device.exec("docker ps --format '{{.Names}}'");
  return out.exitCode === 0 ? out.stdout.split('\n').filter(Boolean) : [];
}

export interface MemorySample {
  memTotalMiB: number;
  memAvailableMiB: number;
  memFreeMiB: number;
  /** Resident set of each engine process (by command name), MiB. */
  engineRssMiB: Record<string, number>;
}

/** /proc/meminfo and the resident memory of the engine's processes. */
export async function memory(device: Device): Promise<MemorySample> {
  const out = await device.check(
    "grep -E '^(MemTotal|MemFree|MemAvailable):' /proc/meminfo; for p in /proc/[0-9]*; do " +
      'c=$(cat $p/comm 2>/dev/null); case "$c" in dockerd|containerd|containerd-shim*|docker|runc) ' +
      'echo "rss $c $(awk \'/^VmRSS:/ {print $2}\' $p/status)";; esac; done',
  );
  const kib = (key: string) => Number(out.match(new RegExp(`^${key}:\\s+(\\d+)`, 'm'))?.[1] ?? Number.NaN);
  const engineRssMiB: Record<string, number> = {};
  for (const [, name, rss] of out.matchAll(/^rss (\S+) (\d+)$/gm))
    engineRssMiB[name!] = (engineRssMiB[name!] ?? 0) + Number(rss) / 1024;
  return {
    memTotalMiB: kib('MemTotal') / 1024,
    memAvailableMiB: kib('MemAvailable') / 1024,
    memFreeMiB: kib('MemFree') / 1024,
    engineRssMiB,
  };
}

export interface TimedTransfer {
  seconds: number;
  bytes: number;
  mibPerSecond: number;
}

/** Removes `reference` from the device, pulls it again, timed on the device's clock; bytes as the registry served them. */
export async function timedPull(device: Device, registry: StartedRegistry, reference: string): Promise<TimedTransfer> {
  await device.exec(`docker rmi -f ${reference} >/dev/null 2>&1; sync`);
  const mark = await registry.mark();
  const out = await device.exec(
    `s=$(cut -d' ' -f1 /proc/uptime); docker pull ${reference} >/tmp/pull.log 2>&1; rc=$?; ` +
      `e=$(cut -d' ' -f1 /proc/uptime); echo "$s $e"; [ $rc = 0 ] || { cat /tmp/pull.log; exit $rc; }`,
    { timeoutMs: 900_000 },
  );
  if (out.exitCode !== 0) throw new Error(`docker pull ${reference} failed (exit ${out.exitCode}):\n${out.stdout}`);
  const [s, e] = out.stdout.trim().split(/\s+/).map(Number);
  const bytes = (await registry.bytesServed(mark)).total;
  const seconds = e! - s!;
  return { seconds, bytes, mibPerSecond: bytes / MiB / seconds };
}

/** `docker create` + `docker export` of `reference` as upgrade-2.x.sh does, into wc -c: time and tar bytes. */
export async function timedExport(device: Device, reference: string): Promise<TimedTransfer> {
  const out = await device.exec(
    `docker rm -f hostos-bench >/dev/null 2>&1; s=$(cut -d' ' -f1 /proc/uptime); ` +
      `docker create --name hostos-bench ${reference} >/dev/null && n=$(docker export hostos-bench | wc -c) && ` +
      `e=$(cut -d' ' -f1 /proc/uptime) && docker rm hostos-bench >/dev/null && echo "$s $e $n"`,
    { timeoutMs: 900_000 },
  );
  if (out.exitCode !== 0) throw new Error(`docker create/export of ${reference} failed:\n${out.stdout}${out.stderr}`);
  const [s, e, n] = out.stdout.trim().split(/\s+/).map(Number);
  return { seconds: e! - s!, bytes: n!, mibPerSecond: n! / MiB / (e! - s!) };
}

/** Seconds one `docker ps` takes on the device (median of 3, the device's clock): the cost of each CLI call. */
export async function cliCallSeconds(device: Device): Promise<number> {
  const out = await device.check(
    "for i in 1 2 3; do s=$(cut -d' ' -f1 /proc/uptime); docker ps >/dev/null 2>&1; " +
      'e=$(cut -d\' \' -f1 /proc/uptime); echo "$s $e"; done',
  );
  const runs = out
    .trim()
    .split('\n')
    .map((l) => l.split(' ').map(Number))
    .map(([s, e]) => e! - s!)
    .sort((a, b) => a - b);
  return +runs[1]!.toFixed(2);
}
