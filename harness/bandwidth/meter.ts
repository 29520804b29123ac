// Measures the bandwidth of one whole update: started before the updater, read once the device is
// settled on the new OS (or when the test ends early). Registry side: the access log since the
// start, split by component and phase (account.ts). Device side: the interface counters over the
// updater's runs (the wrapped command reads them) and over the new OS's boot until now (they restart
// at each boot), less the harness's own SSH payload in the same windows. What it does not see: the
// seconds between the updater's exit and the reboot, and a pre-step's reboot until its rerun.
import { APP_REFERENCE, supervisorReference } from '../../images/containers/container-images.ts';
import { UPLINK_STATS } from '../device/uplink-counters.ts';
import type { Device } from '../device/device.ts';
import { type AccessLogEntry, requestKind } from '../registry/access-log.ts';
import type { StartedRegistry } from '../registry/registry.ts';
import type { SshBytes } from '../ssh/ssh-traffic.ts';
import type { HupRun } from '../updater/runner.ts';
import { accountUpdate, type PhaseStart } from './account.ts';
import type { DeviceTraffic, UpdateTraffic } from './update-traffic-schema.ts';

/** The images a device runs before an update: pulling any of their blobs during it is a finding. */
export function heldReferences(deviceType: string, sourceSupervisor: string): string[] {
  return [supervisorReference(deviceType, sourceSupervisor), APP_REFERENCE];
}

export interface UpdateMeter {
  readonly startMs: number;
  /** The update's traffic from the start until now. `settled`: the device is settled on the new OS. */
  read(run: HupRun, settled: boolean): Promise<UpdateTraffic>;
}

/**
 * Starts measuring. `held`: what the device holds before the update, as references in the registry
 * (their blobs are looked up) and as blob digests (an image preloaded from the card).
 */
export async function startUpdateMeter(
  registry: StartedRegistry,
  device: Device,
  held: { references?: string[]; blobs?: string[] } = {},
): Promise<UpdateMeter> {
  const heldDigests = new Set<string>(held.blobs);
  for (const reference of held.references ?? []) {
    // A reference the registry does not hold (a source image preloaded on the card only) holds nothing to re-pull.
    const found = await registry.client.getManifest(reference).catch(() => undefined);
    if (found) for (const d of [found.manifest.config, ...found.manifest.layers]) heldDigests.add(d.digest);
  }
  const mark = await registry.mark();
  const startMs = Date.now();
  return {
    startMs,
    async read(run, settled) {
      const entries = (await registry.accessLog()).slice(mark);
      const accounted = accountUpdate({
        entries,
        phases: phasesOf(run, startMs),
        held: heldDigests,
        blobSizes: await blobSizes(registry, entries),
      });
      const endMs = Date.now();
      return { startMs, endMs, settled, ...accounted, device: await deviceTraffic(device, run) };
    },
  };
}

const runs = (run: HupRun): HupRun[] => (run.preStep ? [run.preStep, run] : [run]);

/** The phases of the window on the host clock: each run's, the reboots after them. */
export function phasesOf(run: HupRun, startMs: number): PhaseStart[] {
  const phases: PhaseStart[] = [];
  for (const r of runs(run)) {
    const prefix = r === run.preStep ? 'pre-step: ' : '';
    const runStart = r.exitedAt - r.durationMs;
    if (!r.phases.length || (r.phases[0]?.startedAtMs ?? 0) > 0)
      phases.push({ name: `${prefix}updater start`, startMs: runStart });
    for (const p of r.phases) phases.push({ name: `${prefix}${p.name}`, startMs: runStart + p.startedAtMs });
    if (r.reboots > 0 || r === run.preStep)
      phases.push({
        name: r === run.preStep ? 'pre-step reboot' : 'reboot and the new OS until settled',
        startMs: r.exitedAt,
      });
  }
  if (phases[0]) phases[0].startMs = Math.min(phases[0].startMs, startMs);
  return phases;
}

/**
 * Sizes of the blobs whose findings need one: those fetched more than once or in part (a Range
 * request's 206). A single whole download's bytes are its size.
 */
async function blobSizes(registry: StartedRegistry, entries: AccessLogEntry[]): Promise<Map<string, number>> {
  const fetched = new Map<string, { path: string; requests: number; partial: boolean }>();
  for (const e of entries) {
    const { kind, reference } = requestKind(e);
    if (kind !== 'blob' || e.method !== 'GET' || e.status >= 400 || !reference) continue;
    const blob = fetched.get(reference) ?? { path: e.path, requests: 0, partial: false };
    blob.requests += 1;
    blob.partial ||= e.status === 206;
    fetched.set(reference, blob);
  }
  const sizes = new Map<string, number>();
  for (const [digest, blob] of fetched) {
    if (blob.requests < 2 && !blob.partial) continue;
    const res = await fetch(`${registry.url}${blob.path}`, { method: 'HEAD' }).catch(() => undefined);
    const length = Number(res?.headers.get('content-length'));
    if (res?.ok && Number.isFinite(length)) sizes.set(digest, length);
  }
  return sizes;
}

const add = (a: SshBytes, b: SshBytes | undefined): SshBytes =>
  b ? { toDevice: a.toDevice + b.toDevice, fromDevice: a.fromDevice + b.fromDevice } : a;

async function deviceTraffic(device: Device, run: HupRun): Promise<DeviceTraffic | undefined> {
  let received = 0;
  let sent = 0;
  let ssh: SshBytes = { toDevice: 0, fromDevice: 0 };
  for (const r of runs(run)) {
    received += r.bytesReceived;
    sent += r.bytesSent;
    ssh = add(ssh, r.sshDuringRun);
  }
  const covers = [run.preStep ? 'the pre-step and the updater run' : 'the updater run'];
  let iface = '';
  if (run.reboots > 0) {
    // Since the new OS booted: its counters, and the SSH connections the harness made to it.
    const read = await device
      .exec(`${UPLINK_STATS}; echo $iface $(cat $s/rx_bytes) $(cat $s/tx_bytes)`)
      .catch(() => undefined);
    const m = read?.exitCode === 0 ? /^(\S+) (\d+) (\d+)/.exec(read.stdout.trim()) : null;
    if (!m) return undefined;
    iface = m[1]!;
    received += Number(m[2]);
    sent += Number(m[3]);
    ssh = add(ssh, device.sshTraffic.total(run.exitedAt));
    covers.push('the new OS from its boot until now');
  } else {
    const read = await device.exec(`${UPLINK_STATS}; echo $iface`).catch(() => undefined);
    iface = read?.stdout.trim() ?? '';
  }
  return {
    iface,
    interfaceReceived: received,
    interfaceSent: sent,
    sshToDevice: ssh.toDevice,
    sshFromDevice: ssh.fromDevice,
    received: Math.max(0, received - ssh.toDevice),
    sent: Math.max(0, sent - ssh.fromDevice),
    covers: covers.join(' + '),
  };
}
