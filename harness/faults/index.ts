// Faults: the catalogue and what a rollback looked like.
export {
  faults,
  findFault,
  type Fault,
  type NewOsFault,
  type NewOsFaultTarget,
  type RollbackMechanism,
} from './catalogue.ts';
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
