// The power cut: power removed while the updater is in a phase (mid-phase for the long ones); the
// device must boot what the phase's guarantee row promises (guarantees.ts).
import { type GuaranteeRow, powerCutGuarantees } from './guarantees.ts';
import type { PhaseCutFault } from './types.ts';

export const powerCut: PhaseCutFault = {
  kind: 'phase-cut',
  name: 'power-cut',
  description:
    'power removed when the updater is in the phase (mid-phase for the long ones, as the faults suite does); power comes back',
  guarantee:
    'the device boots what the guarantee table (harness/faults/guarantees.ts) promises for that phase; when the old OS came back, a rerun of the updater succeeds',
  rows: (updater) => powerCutGuarantees.filter((r) => r.updater === updater),
  strike: ({ board }, phase) => board.cut(`the updater in ${phase}`),
};

/** The test title the faults suite gives a power-cut row (the gate greps for it). */
export const powerCutTitle = (r: GuaranteeRow): string =>
  `power cut: ${r.updater} in ${r.phase}${r.afterMs ? ` +${r.afterMs}ms` : ''} → ${r.guarantee}`;
