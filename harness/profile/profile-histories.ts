// What a profiled device lived through before the update the field report is about (`history:` in a
// profile): the histories of suites/history.spec.ts whose first half leaves the device where it
// started, replayable before the profile's update. A rollback leaves what the field device has and a
// freshly flashed one does not: a spare root holding a rejected OS, rollback-* verdict files in
// /mnt/state, a bootcount U-Boot has counted, the target's images already in the engine's store.
// Pure data: the schema reads the names, harness/profile/profile-history.ts replays them.

export interface ProfileHistory {
  /** The layout of the device it can happen on: rollbacks exist on 2.x only. */
  layout: '2.x';
  /** The new-OS fault (harness/faults/catalogue.ts) that made the earlier update roll back. */
  fault: 'broken-init' | 'broken-supervisor';
  /** What the device went through, in a sentence. */
  says: string;
}

export const profileHistories = {
  'rolled-back-by-altboot': {
    layout: '2.x',
    fault: 'broken-init',
    says: "an update to the profile's target whose new OS never reached init: U-Boot counted the failed boots and altboot went back to the old root",
  },
  'rolled-back-by-health': {
    layout: '2.x',
    fault: 'broken-supervisor',
    says: "an update to the profile's target whose new OS booted without its supervisor: rollback-health rejected it and switched back",
  },
} as const satisfies Record<string, ProfileHistory>;

export type ProfileHistoryName = keyof typeof profileHistories;

export const profileHistoryNames = Object.keys(profileHistories) as [ProfileHistoryName, ...ProfileHistoryName[]];
