// The updater profiles by name, validated when first asked for, and which one a run uses:
// $HUPBENCH_UPDATER_PROFILE (`hupbench run --updater-profile`), else hupbench-reference. A profile
// covers the path classes it describes; a path of another class is run by the reference updater.
import { hupbenchReference } from './hupbench-reference.ts';
import { resinhupStyle } from './resinhup-style.ts';
import type { UpdaterContract, UpdaterProfile, UpdaterProfileInput } from './types.ts';
import { validateProfile } from './types.ts';

export const REFERENCE_PROFILE = 'hupbench-reference';
export const PROFILE_ENV = 'HUPBENCH_UPDATER_PROFILE';

const inputs: readonly UpdaterProfileInput[] = [hupbenchReference, resinhupStyle];
let validated: UpdaterProfile[] | undefined;

/** Every known profile, validated (a bad one is an error naming it and its field). */
export function updaterProfiles(): UpdaterProfile[] {
  validated ??= inputs.map((p) => validateProfile(p, `"${p.name}" (harness/updater/profiles/)`));
  return validated;
}

export const profileNames = (): string[] => updaterProfiles().map((p) => p.name);

/** A profile by name; an unknown name is an error listing the known ones. */
export function findUpdaterProfile(name: string): UpdaterProfile {
  const found = updaterProfiles().find((p) => p.name === name);
  if (!found)
    throw new Error(`Unknown updater profile "${name}". Known updater profiles: ${profileNames().join(', ')}`);
  return found;
}

/** The profile this process runs updaters with ($HUPBENCH_UPDATER_PROFILE, default hupbench-reference). */
export function activeUpdaterProfile(): UpdaterProfile {
  const name = process.env[PROFILE_ENV]?.trim();
  try {
    return findUpdaterProfile(name || REFERENCE_PROFILE);
  } catch (error) {
    throw new Error(`${PROFILE_ENV}: ${(error as Error).message}`);
  }
}

export interface ChosenUpdater {
  profile: UpdaterProfile;
  contract: UpdaterContract;
}

/** The updater of a path class under `profile`, or the reference one when the profile has none for it. */
export function updaterFor(
  pathClass: keyof UpdaterProfile['updaters'],
  profile = activeUpdaterProfile(),
): ChosenUpdater {
  const own = profile.updaters[pathClass];
  if (own) return { profile, contract: own };
  const reference = findUpdaterProfile(REFERENCE_PROFILE);
  const contract = reference.updaters[pathClass];
  if (!contract) throw new Error(`No updater profile describes an updater for ${pathClass} paths`);
  return { profile: reference, contract };
}

/** The contract of an updater by its script (as `UpgradePath.updater` names it), in any profile. */
export function contractOfScript(script: string): ChosenUpdater {
  for (const profile of updaterProfiles())
    for (const contract of Object.values(profile.updaters))
      if (contract?.script === script) return { profile, contract };
  const known = updaterProfiles().flatMap((p) => Object.values(p.updaters).map((c) => c?.script));
  throw new Error(`No updater profile describes the updater "${script}". Described updaters: ${known.join(', ')}`);
}

export {
  type UpdaterContract,
  type UpdaterProfile,
  type UpdaterProfileInput,
  type ExitMeaning,
  type RefusalName,
  type RefusalCase,
  validateProfile,
} from './types.ts';
export {
  recognisePhase,
  buildUpdaterArgs,
  exitMeaning,
  errorLine,
  logPathIn,
  asksRerun,
  type InvocationOptions,
} from './contract.ts';
export { pullRetries, retryWindowS, REFERENCE_PULL_RETRY, ENGINE_STALL_S, type PullRetry } from './pull-retries.ts';
