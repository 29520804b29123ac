// `hupbench run --profile FILE`: the profile read and judged against the rig before anything starts
// (exit 2 on a bad one), and the path it gives: from the profile's release to --to, else the
// profile's target, else the newest release the rig's matrix offers from that source.
import path from 'node:path';
import { loadReleases, type Release } from '../../images/lib/releases.ts';
import { newestPathFor } from '../profile/profile-target.ts';
import { checkProfileForRig, ProfileError, readProfile } from '../profile/load-profile.ts';
import type { DeviceProfile } from '../profile/profile-schema.ts';
import type { RigConfig } from '../rig/rig-config.ts';
import { upgradeMatrix } from './known.ts';
import { UsageError } from './usage-error.ts';

export interface RunProfile {
  profile: DeviceProfile;
  /** The profile file, resolved. */
  file: string;
  /** Its text as given (profile.yaml in the results folder). */
  text: string;
  from: string;
  to: string;
}

/** The profile in `file`, its text and its source release, refused (exit 2) unless `rig` can build it. */
export async function profileForRig(
  file: string,
  rig: RigConfig,
): Promise<{ profile: DeviceProfile; text: string; source: Release }> {
  try {
    const { profile, text } = await readProfile(file);
    const source = checkProfileForRig(profile, file, {
      rigName: rig.name,
      deviceType: rig.deviceType,
      releases: await loadReleases(),
    });
    return { profile, text, source };
  } catch (e) {
    if (e instanceof ProfileError) throw new UsageError(e.message);
    throw e;
  }
}

export async function loadRunProfile(
  file: string,
  rig: RigConfig,
  opts: { from?: string; to?: string },
): Promise<RunProfile> {
  const { profile, text, source } = await profileForRig(file, rig);
  if (opts.from && opts.from !== source.version)
    throw new UsageError(
      `--from ${opts.from} and the profile's device.release ${source.version} disagree: with --profile, leave --from out.`,
    );
  const paths = (await upgradeMatrix([rig.name])).map((e) => e.path);
  const to = opts.to ?? profile.target ?? newestPathFor(profile, paths)?.to.version;
  if (!to) throw new UsageError(`${file}: no release on ${rig.name} updates ${source.version}; give --to.`);
  return { profile, file: path.resolve(file), text, from: source.version, to };
}
