// Splits what the registry served one device during an update by component and by phase, and finds
// the bytes that should not have been needed: a blob served twice, a blob of an image the device
// already ran pulled again, a download retried past the blob's size. Pure: the meter (meter.ts)
// gathers the log, the phases and what the device held.
import { type AccessLogEntry, requestKind } from '../registry/access-log.ts';
import { componentOf, componentOfRepository, isDeviceRequest } from './components.ts';
import type { ByComponent, Component, Finding, PhaseTraffic } from './update-traffic-schema.ts';

export interface PhaseStart {
  name: string;
  startMs: number;
}

export interface AccountInput {
  /** The registry's access log since the update started (other devices' registries are their own). */
  entries: AccessLogEntry[];
  /** The phases of the window in order; requests before the first count for the first. */
  phases: PhaseStart[];
  /** Blob digests of the images the device ran before the update (its supervisor, its app). */
  held?: ReadonlySet<string>;
  /** Blob sizes where known (from the manifests); otherwise the largest response stands for it. */
  blobSizes?: ReadonlyMap<string, number>;
}

export interface Accounted {
  registryBytes: number;
  requests: number;
  components: ByComponent;
  phases: PhaseTraffic[];
  findings: Finding[];
}

const MiB = 2 ** 20;
/** Bytes as a reader wants them: MiB for layers, KiB or bytes for configs and manifests. */
const mib = (n: number) =>
  n >= MiB / 10 ? `${(n / MiB).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;

function add(into: ByComponent, component: Component, bytes: number) {
  if (bytes > 0) into[component] = (into[component] ?? 0) + bytes;
}

/**
 * The phase a request started in. The log has whole seconds: a request counts from the middle of
 * its second, so one logged in the second a phase started goes to whichever half it fell in.
 */
function phaseIndex(phases: PhaseStart[], time: number): number {
  let index = 0;
  for (let i = 0; i < phases.length; i++) if (time + 500 >= phases[i]!.startMs) index = i;
  return index;
}

export function accountUpdate(input: AccountInput): Accounted {
  const phases: PhaseTraffic[] = input.phases.map((p) => ({
    name: p.name,
    startMs: p.startMs,
    bytes: 0,
    byComponent: {},
  }));
  if (!phases.length) phases.push({ name: 'update', startMs: 0, bytes: 0, byComponent: {} });
  const components: ByComponent = {};
  const blobs = new Map<string, { repository: string; served: Array<{ bytes: number; phase: string }> }>();
  let registryBytes = 0;
  let requests = 0;
  for (const entry of input.entries) {
    if (!isDeviceRequest(entry) || entry.status >= 400) continue;
    const component = componentOf(entry);
    const phase = phases[phaseIndex(input.phases, entry.time)]!;
    requests += 1;
    registryBytes += entry.bytes;
    add(components, component, entry.bytes);
    phase.bytes += entry.bytes;
    add(phase.byComponent, component, entry.bytes);
    const { kind, repository, reference: digest } = requestKind(entry);
    if (kind === 'blob' && digest && entry.method === 'GET' && entry.bytes > 0) {
      const blob = blobs.get(digest) ?? { repository: repository!, served: [] };
      blob.served.push({ bytes: entry.bytes, phase: phase.name });
      blobs.set(digest, blob);
    }
  }
  return { registryBytes, requests, components, phases, findings: findingsOf(blobs, input) };
}

function findingsOf(
  blobs: Map<string, { repository: string; served: Array<{ bytes: number; phase: string }> }>,
  input: AccountInput,
): Finding[] {
  const findings: Finding[] = [];
  for (const [digest, { repository, served }] of blobs) {
    const component = componentOfRepository(repository);
    const total = served.reduce((sum, s) => sum + s.bytes, 0);
    const size = input.blobSizes?.get(digest) ?? Math.max(...served.map((s) => s.bytes));
    const phase = [...new Set(served.map((s) => s.phase))].join(', ');
    const base = { component, digest, repository, requests: served.length, phase };
    const short = `${repository}@${digest.slice(7, 19)}`;
    if (input.held?.has(digest)) {
      findings.push({
        ...base,
        kind: 'held-pulled-again',
        bytes: total,
        detail: `${component} blob ${short} (${mib(size)}), which the device held before the update, was pulled again: ${mib(total)} in ${served.length} request(s) during ${phase}`,
      });
      continue;
    }
    // Twice the blob's bytes or more is a second download, however the requests split them.
    const whole = Math.floor(total / size);
    if (whole >= 2) {
      findings.push({
        ...base,
        kind: 'served-twice',
        bytes: total - size,
        detail: `${component} blob ${short} (${mib(size)}) was served ${whole} times over (${served.length} requests, ${mib(total)}) during ${phase}: ${mib(total - size)} more than one download`,
      });
    } else if (served.length > 1) {
      // Broken downloads resumed (Range requests) or started over. The registry's bytes beyond the
      // blob's size are what it wrote: a resumed download's include what a broken connection held
      // unsent in its buffers, which never crossed the link (bench/engine-pull-link.ts: 0.56 MB
      // written beyond a 1.5 MB layer, the same bytes on the wire as an unbroken pull). The device's
      // counters say what crossed.
      const extra = Math.max(0, total - size);
      findings.push({
        ...base,
        kind: 'retried',
        bytes: extra,
        detail: `${component} blob ${short} (${mib(size)}) took ${served.length} requests (${served.length - 1} retries) and ${mib(total)} during ${phase}: ${extra ? `the registry wrote ${mib(extra)} more than its size (sent again, or lost in flight as a connection broke)` : 'resumed, no byte twice'}`,
      });
    }
  }
  return findings.sort((a, b) => b.bytes - a.bytes);
}
