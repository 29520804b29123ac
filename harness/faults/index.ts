// Faults: the catalogue (one union of every kind), the power-cut guarantees, what a rollback looked like.
export type {
  Fault,
  FaultKind,
  FaultTarget,
  PhaseCutFault,
  OutageFault,
  ThrottleFault,
  DropFault,
  LinkDrop,
  PullLayer,
  NewOsFault,
  NewOsFaultTarget,
  RollbackMechanism,
  RefusalFault,
  RefusalSubject,
  Refusal,
} from './types.ts';
export {
  faultCatalogue,
  faultKinds,
  faultsOfKind,
  findFault,
  newOsFaults,
  strikesAtPhase,
} from './catalogue.ts';
export { powerCut, powerCutTitle } from './power-cut.ts';
export { networkDown, registryDown, registrySlow, linkDrop, OUTAGE_MS, outageMessage } from './link.ts';
export {
  commonRefusals,
  spareRootTooSmall,
  versionPattern,
  refusalFaults,
} from './refusals.ts';
export { mislabelledHostOsImage, unlabelledOtherRootImage } from './mislabelled-hostos.ts';
export { rollbackVerdict, type RollbackVerdict } from './rollback-verdict.ts';
export {
  powerCutGuarantees,
  classifyOutcome,
  meetsGuarantee,
  guaranteeTable,
  POWER_CUT_ROW_ANNOTATION,
  type Guarantee,
  type GuaranteeRow,
  type Outcome,
  type MeasuredRow,
} from './guarantees.ts';
