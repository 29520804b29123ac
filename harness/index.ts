// The harness's public face: suites import from here only.
export { test } from './fixtures.ts';
export { expect } from './device/matchers.ts';
export { Device } from './device/device.ts';
export type { DeviceState, PartitionState } from './device/device-state.ts';
export type { BootTimes, StartOptions, StartTimes } from './board/boot.ts';
export { expectOnDevice, expectOnConsole, expectOsBack } from './device/product-wait.ts';
export { InfraError, ProductWaitError, WaitTimeoutError } from './errors.ts';
export type { CommandResult } from './command-result.ts';
export type { Rig } from './rig/rig.ts';
export { loadReleases, findRelease, compareVersions, registryTag, type Release } from '../images/lib/releases.ts';
export { withRootBCopiedFromRootA, withPartitionShrunk } from './image/card-image.ts';
export type { TestRegistry } from './fixtures.ts';
export * from './updater/index.ts';
export * from './faults/index.ts';
// Suite-side assertions shared by several suites.
export { expectRefusal } from './assertions/refusal.ts';
export { capReportedMB, backupMB, expectCapRefusal } from './assertions/backup-cap.ts';
export { BOOT_LIMIT } from '../images/lib/boot-files.ts';
export { splitByBoot } from './console/boot-split.ts';
// 1.x → 2.x migration: seeded data, a 1.x card on resin-updt, the tools image, WiFi settings.
export { seedResinData, SEED_DIR, type DataSeed, type SeededCard, type DataKind } from './image/seed-data.ts';
export { with1xRootOnP3 } from './image/card-image.ts';
export { publishResinhup } from './registry/index.ts';
export { publishTools } from './release/publish-release.ts';
export {
  labWifiNetworks,
  connmanFiles,
  expectedKeyfiles,
  keyfileName,
  parseKeyfile,
  writeConnmanSettings,
  readKeyfiles,
  type WifiNetwork,
} from './device/wifi-settings.ts';
export { unchangeableParts } from './device/matchers.ts';
export { cardEndSector, deviceGeometry, layoutGeometry } from './device/layout-geometry.ts';
export { stopRegistry, startRegistryAgain, shapeRegistry, unshapeRegistry } from './registry/index.ts';
// Devices: services, user data, the health window, heartbeat arithmetic.
export {
  prepareDevice,
  expectSupervisorAndAppRunning,
  runningContainers,
  type PreparedDevice,
  type RunningContainer,
} from './device/services.ts';
export { seedData, dataChecksums, stateAndChecksums, heartbeats } from './device/user-data.ts';
export { setHealthWindow, testHealthWindow, type HealthWindow } from './device/health-window.ts';
export { maxGap, appDowntime } from './device/heartbeat-gaps.ts';
export { stableState } from './device/device-state.ts';
// The board strategy and the scenarios suites are made of.
export { BoardStrategy, type BoardStep, type BoardState, type ConsoleMark } from './board/strategy.ts';
export * from './scenarios/index.ts';
export * from './profile/index.ts';
// Typed records the reporters build their tables from (path, bandwidth, timing, data limits).
export { recordTestData, pathRecord, bandwidthRecord } from './report/test-data.ts';
export { measureUpdate } from './bandwidth/measure-update.ts';
export type { UpdateMeter } from './bandwidth/meter.ts';
export { deviceTypeTag } from './matrix/device-type-tag.ts';
export { expectHealthKeepsUpdate } from './assertions/health-verdict.ts';
export { expectStep, partOf, otherRoot, type ExpectedStep, type RootLabel } from './assertions/history-state.ts';
export { runHistory, attachHistoryTimeline, type AfterStep } from './assertions/history-run.ts';
export {
  updateAndKeep,
  expectUpdatedInto,
  keepTrial,
  VARIABLES,
  PREVIOUS,
  settledState,
  trialState,
  type UpdateAndKeep,
} from './assertions/history-update.ts';
