// The updater runner and the upgrade-path matrix.
export {
  runUpdater,
  describeRun,
  MiB,
  type HupRun,
  type HupPhase,
  type HupOutcome,
  type RunUpdaterOptions,
  type StepRunner,
} from './runner.ts';
export {
  pathsFor2x,
  loadPaths2x,
  pathsFor1xTo2x,
  loadPaths1xTo2x,
  pathsFor1x,
  loadPaths1x,
  allPaths,
  pathBetween,
  subjectPath,
  gateTarget,
  type UpgradePath,
  type PathClass,
} from './paths.ts';
export { updaterScript } from './script.ts';
export { pathTiming, type PathTiming } from './path-timing.ts';
