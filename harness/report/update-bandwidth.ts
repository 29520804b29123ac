// A path's bandwidth as the reports, the `hupbench bandwidth` command and the gate show it, from its
// bandwidth record (test-data.ts): the whole update (harness/bandwidth/update-traffic-schema.ts) in
// MiB by component, what the device itself received and sent (the harness's SSH taken out), and the
// findings, each sized. One figure is the path's "whole update": the device's received bytes, or the
// registry's total when the device was not counted.
import { COMPONENTS, type Component, type FindingKind } from '../bandwidth/update-traffic-schema.ts';
import type { TestData } from './test-data.ts';

export const MiB = 2 ** 20;
const mib = (bytes: number) => bytes / MiB;

/** The component columns the tables show; tools and resinhup (the updaters' helpers) share one. */
export const COMPONENT_COLUMNS = ['hostOS', 'supervisor', 'tools/resinhup', 'app', 'protocol'] as const;
export type ComponentColumn = (typeof COMPONENT_COLUMNS)[number];

export interface BandwidthFinding {
  kind: FindingKind;
  component: Component;
  mib: number;
  phase: string;
  requests: number;
  detail: string;
}

export interface UpdateBandwidth {
  /** The whole update's figure, MiB: the device's received bytes, else the registry's total. */
  wholeMiB: number;
  wholeBasis: 'device received' | 'registry served';
  /** False when the test failed before the device settled on the new OS. */
  settled: boolean;
  registryMiB: number;
  deviceReceivedMiB?: number;
  deviceSentMiB?: number;
  /** What the device counters cover, in words. */
  deviceCovers?: string;
  /** MiB the registry served per component (a component with none is left out). */
  components: Partial<Record<Component, number>>;
  /** MiB the registry served in each phase that had any, in order (missing in older summaries). */
  phases?: Array<{ name: string; mib: number }>;
  findings: BandwidthFinding[];
}

/** The whole update's figures of a bandwidth record, or undefined for a record without `update`. */
export function updateBandwidth(record: TestData<'bandwidth'>): UpdateBandwidth | undefined {
  const u = record.update;
  if (!u) return undefined;
  const components: Partial<Record<Component, number>> = {};
  for (const c of COMPONENTS) if (u.components[c]) components[c] = mib(u.components[c]);
  return {
    wholeMiB: mib(u.device ? u.device.received : u.registryBytes),
    wholeBasis: u.device ? 'device received' : 'registry served',
    settled: u.settled,
    registryMiB: mib(u.registryBytes),
    ...(u.device && {
      deviceReceivedMiB: mib(u.device.received),
      deviceSentMiB: mib(u.device.sent),
      deviceCovers: u.device.covers,
    }),
    components,
    phases: u.phases.filter((p) => p.bytes > 0).map((p) => ({ name: p.name, mib: mib(p.bytes) })),
    findings: u.findings.map((f) => ({
      kind: f.kind,
      component: f.component,
      mib: mib(f.bytes),
      phase: f.phase,
      requests: f.requests,
      detail: f.detail,
    })),
  };
}

/** MiB of a component column (tools and resinhup summed). */
export function columnMiB(b: Pick<UpdateBandwidth, 'components'>, column: ComponentColumn): number {
  if (column === 'tools/resinhup') return (b.components.tools ?? 0) + (b.components.resinhup ?? 0);
  return b.components[column] ?? 0;
}

/** MiB as a reader wants them: `323 MiB`, `1.5 MiB`, or KiB and bytes for a config or a manifest. */
function sizeText(mib: number): string {
  if (mib >= 0.1) return `${mib.toFixed(mib < 10 ? 1 : 0)} MiB`;
  const bytes = mib * MiB;
  return bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${Math.round(bytes)} B`;
}

/** How a finding reads in a chart label or a sentence: `re-pulled 323 MiB`. */
export function findingLabel(f: Pick<BandwidthFinding, 'kind' | 'mib'>): string {
  const what = { 'served-twice': 'served twice', 'held-pulled-again': 're-pulled', retried: 'retried' }[f.kind];
  return `${what} ${sizeText(f.mib)}`;
}

/** One sentence of a finding: `app re-pulled 323 MiB in first-boot (…)`. */
export function findingSentence(f: BandwidthFinding): string {
  return `${f.component} ${findingLabel(f)} in ${f.phase} (${f.requests} request${f.requests === 1 ? '' : 's'}: ${f.detail})`;
}

/** The component columns of a path as a sentence: `hostOS 96.1, supervisor 12.0, app 3.2 MiB`. */
export function componentsSentence(b: Pick<UpdateBandwidth, 'components'>): string {
  const parts = COMPONENT_COLUMNS.filter((c) => columnMiB(b, c) > 0).map((c) => `${c} ${columnMiB(b, c).toFixed(1)}`);
  if (b.components.other) parts.push(`other ${b.components.other.toFixed(1)}`);
  return parts.length ? `${parts.join(', ')} MiB` : 'nothing served';
}
