// Which update a profile runs when the command line does not say: the newest release that updates its
// source along the same kind of path as the profile's own `target` (2.x → 2.x, 1.x → 2.x or 1.x → 1.x:
// the profile's expectation is written for that updater), or the newest of any kind when it names
// none. The nightly runs every profile this way, so a new release is judged against every profile.
import { compareVersions } from '../../images/lib/releases.ts';
import type { UpgradePath } from '../updater/paths.ts';
import type { DeviceProfile } from './profile-schema.ts';

export function newestPathFor(profile: DeviceProfile, paths: UpgradePath[]): UpgradePath | undefined {
  const from = paths.filter((p) => p.from.version === profile.device.release);
  const pinned = from.find((p) => p.to.version === profile.target);
  const same = pinned ? from.filter((p) => p.pathClass === pinned.pathClass) : from;
  return same.sort((a, b) => compareVersions(a.to.version, b.to.version)).at(-1);
}
