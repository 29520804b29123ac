// The harness's public face: suites import from here only.
export { test } from './fixtures.ts';
export { expect } from './device/matchers.ts';
export { Device } from './device/device.ts';
export type { DeviceState, PartitionState } from './device/device-state.ts';
export { powerOnToLogin, powerOnToSsh, waitForLoginPrompt, type BootTimes } from './device/boot.ts';
export { InfraError, WaitTimeoutError } from './errors.ts';
export type { CommandResult } from './command-result.ts';
export type { Rig } from './rig/rig.ts';
export { loadReleases, findRelease, compareVersions, registryTag, type Release } from '../images/lib/releases.ts';
export { withRootBCopiedFromRootA } from './image/card-image.ts';
export type { TestRegistry } from './fixtures.ts';
export * from './updater/index.ts';
export * from './faults/index.ts';
export { BOOT_LIMIT } from '../images/lib/boot-files.ts';
export { splitByBoot } from './console/boot-split.ts';
