// Device profiles (profiles/*.yaml), as suites use them: read and check one, build the device it
// describes, update it under its link, capture a device back into a profile.
export { type DeviceProfile, deviceProfileSchema } from './profile-schema.ts';
export { readProfile, parseProfile, checkProfileForRig, ProfileError } from './load-profile.ts';
export { bootProfileSource, ProfileMismatchError, type ProfiledSource } from './profile-source.ts';
export { updateProfiled, type ProfilePlayed } from './profile-update.ts';
export { captureProfile, type CapturedFacts } from './capture.ts';
export { compareProfiles, mismatchLines, TOLERANCE, type FieldCheck } from './compare-profiles.ts';
export { newestPathFor } from './profile-target.ts';
