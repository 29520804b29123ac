// Scenarios: what suites and `hupbench run` are made of — boot a source of a class ready for an
// update, run the update of a path and follow it, judge a rollback, judge a power-cut row, strike the
// way to the registry, run a refused update.
export type { ScenarioContext } from './context.ts';
export { releasePublisher, type ReleasePublisher } from './publisher.ts';
export { bootSource, type BootedSource, type SourceOptions } from './source.ts';
export {
  runUpdate,
  updaterArgs,
  updateTimeoutMs,
  migrationTimeoutMs,
  imagePullAllowanceMs,
  type UpdateOptions,
} from './update.ts';
export {
  breakNewOsAndFollowRollback,
  expectedRollbackBoots,
  spareRoot,
  type RollbackResult,
} from './rollback.ts';
export { judgePowerCut, judgeCutRun, cutAt, type PowerCutJudgement, type PowerCutHooks } from './power-cut.ts';
export { forkPowerCut, whyNotForked, type ForkedCut } from './phase-fork.ts';
export { updateThroughOutage, updateThroughThrottle, type ThrottledUpdate } from './link-faults.ts';
export { updateThroughLinkDrop, retriedPulls, type DroppedUpdate } from './link-drop.ts';
export { bootForRefusal, runRefused, deviceBaseline, type DeviceBaseline, type RefusedRun } from './refusal.ts';
export { History, type HistoryStep } from './history.ts';
export { timelineMarkdown, type HistoryTimeline, type HistoryRow, type StepState } from './history-timeline.ts';
export {
  awaitTrialVerdict,
  engineStore,
  rootVersion,
  blobPullsSince,
  imageBlobs,
  targetBlobs,
  hostOsConfigDigest,
  type EngineStore,
  type BlobPull,
} from './history-steps.ts';
