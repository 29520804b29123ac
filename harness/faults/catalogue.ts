// The fault catalogue: every named way hupbench breaks an update, one discriminated union (types.ts)
// shared by the suites, the CLI's --fault and the gate. Kinds:
// - phase-cut: power removed in an updater phase (power-cut.ts, rows in guarantees.ts);
// - link / registry: the device's link or the registry failing under the pull (an outage past the retries, or
//   a drop the retries ride out), or a slow registry (link.ts);
// - new-os: the new OS broken before its first boot, caught by a rollback (new-os.ts);
// - refusal: a setup every updater must refuse before touching anything (refusals.ts).
import { linkDrop, networkDown, registryDown, registrySlow } from './link.ts';
import { newOsFaultList } from './new-os.ts';
import { powerCut } from './power-cut.ts';
import { refusalFaults } from './refusals.ts';
import type { Fault, FaultKind, NewOsFault } from './types.ts';

/** Every fault, in the order the CLI lists them. */
export const faultCatalogue: readonly Fault[] = [
  powerCut,
  networkDown,
  ...newOsFaultList,
  registryDown,
  registrySlow,
  linkDrop,
  ...refusalFaults,
];

export const faultKinds: readonly FaultKind[] = ['phase-cut', 'link', 'registry', 'new-os', 'refusal'];

/** The faults of one kind. */
export function faultsOfKind<K extends FaultKind>(kind: K): Extract<Fault, { kind: K }>[] {
  return faultCatalogue.filter((f): f is Extract<Fault, { kind: K }> => f.kind === kind);
}

/** The new-OS faults by name (the rollback suite's rows, the gate's rollback checks). */
export const newOsFaults: Readonly<Record<string, NewOsFault>> = Object.fromEntries(
  newOsFaultList.map((f) => [f.name, f]),
);

/** A fault by name; an unknown name is an error that lists the known ones. */
export function findFault(name: string): Fault {
  const fault = faultCatalogue.find((f) => f.name === name);
  if (!fault) throw new Error(`Unknown fault "${name}". Known faults: ${faultCatalogue.map((f) => f.name).join(', ')}`);
  return fault;
}

/** Whether a fault strikes at an updater phase (and so takes `--at PHASE`). */
export function strikesAtPhase(fault: Fault): boolean {
  switch (fault.kind) {
    case 'phase-cut':
      return true;
    case 'link':
    case 'registry':
      return fault.effect === 'outage';
    case 'new-os':
    case 'refusal':
      return false;
  }
}

// Note: the types live in types.ts; re-exported for the modules that import them from here.
export type { Fault, NewOsFault, NewOsFaultTarget, RollbackMechanism } from './types.ts';
