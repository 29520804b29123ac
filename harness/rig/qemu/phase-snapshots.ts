// A QEMU rig's PhaseSnapshots (rig.ts): the phase-snapshot store (phase-snapshot.ts) over the rig's
// parts, each board action a transition of its PowerOwner, so a hold, save or resume never lands
// inside another power action.
import type { PhaseSnapshots } from '../rig.ts';
import {
  findPhaseSnapshot,
  holdBoard,
  lockSubject,
  releaseBoard,
  resumePhaseSnapshot,
  savePhaseSnapshot,
} from './phase-snapshot.ts';
import type { QemuRigParts } from './rig-parts.ts';

export function phaseSnapshotsOf(rig: QemuRigParts): PhaseSnapshots {
  return {
    find: (key) => findPhaseSnapshot(rig, key),
    hold: () => rig.owner.transition('hold for a phase snapshot', () => holdBoard(rig)),
    save: (key, recorded) =>
      rig.owner.transition(`save phase snapshot ${key.phase}`, () => savePhaseSnapshot(rig, key, recorded)),
    release: () => rig.owner.transition('release after a phase snapshot', () => releaseBoard(rig)),
    resume: (key) => rig.owner.transition(`resume phase snapshot ${key.phase}`, () => resumePhaseSnapshot(rig, key)),
    lock: (subject, timeoutMs) => lockSubject(rig, subject, timeoutMs),
  };
}
