// The bandwidth budget a gate judges the update paths by: `--budget-mib N`, or the gated release's
// manifest (`bandwidth: { budgetMiB, deviceTypes: { <type>: { budgetMiB } } }`, manifest-schema.ts).
// A reference release (no manifest of its own) has none unless --budget-mib gives one.
import type { Release } from '../../images/lib/releases.ts';
import { loadGivenManifest } from '../release/release-artifacts.ts';

export interface GateBudget {
  /** MiB for every device type without its own. */
  budgetMiB?: number;
  byDeviceType: Record<string, number>;
  /** Where it was set: `--budget-mib`, or the manifest's file. */
  source: string;
}

export function budgetFor(budget: GateBudget, deviceType: string): number | undefined {
  return budget.byDeviceType[deviceType] ?? budget.budgetMiB;
}

export async function gateBudget(target: Release, overrideMiB?: number): Promise<GateBudget | undefined> {
  if (overrideMiB !== undefined) return { budgetMiB: overrideMiB, byDeviceType: {}, source: '--budget-mib' };
  if (!target.manifest) return undefined;
  const manifest = await loadGivenManifest(target);
  const b = manifest.bandwidth;
  if (!b) return undefined;
  const byDeviceType = Object.fromEntries(Object.entries(b.deviceTypes ?? {}).map(([t, v]) => [t, v.budgetMiB]));
  return { budgetMiB: b.budgetMiB, byDeviceType, source: manifest.file };
}
