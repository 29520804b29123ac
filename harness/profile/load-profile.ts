// Reading a device profile and refusing one that cannot be built on a rig, before any board starts:
// a field the schema does not know, a version the catalogue does not have, a device type that is not
// the rig's, data that cannot fit the card's resin-data, root changes on a 2.x device, a history that
// cannot happen on the device's layout. Every message names the file and the field.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { cardBytesFor, placePartitions } from '../../images/lib/layout.ts';
import type { Release } from '../../images/lib/releases.ts';
import { profileHistories } from './profile-histories.ts';
import { type DeviceProfile, deviceProfileSchema } from './profile-schema.ts';
import { appStoreBytes, dataBytes, fillBytes } from './profile-sizes.ts';

export class ProfileError extends Error {
  override name = 'ProfileError';
}

const MiB = 1024 * 1024;
/** As seedResinData: filesystem overhead and the engine's own files need the rest. */
export const DATA_SHARE = 0.85;

/** Parses and validates a profile's text; `file` names it in every message. */
export function parseProfile(text: string, file: string): DeviceProfile {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new ProfileError(`${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const parsed = deviceProfileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      const at = i.path.join('.') || '(top level)';
      if (i.code === 'unrecognized_keys')
        return `  ${at}: unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      return `  ${at}: ${i.message}`;
    });
    throw new ProfileError(
      `${file} is not a valid device profile:\n${issues.join('\n')}\nSee profiles/*.yaml and README "Reproduce a field device: profiles".`,
    );
  }
  return parsed.data;
}

/** The profile in `file`, and its text as given (kept beside a run's results). */
export async function readProfile(file: string): Promise<{ profile: DeviceProfile; text: string }> {
  if (!existsSync(file)) throw new ProfileError(`No profile file ${file}.`);
  const text = await readFile(file, 'utf8');
  return { profile: parseProfile(text, file), text };
}

export interface ProfileTarget {
  rigName: string;
  deviceType: string;
  releases: Release[];
}

/** The profile's source release, once it is known that the rig can build and boot it. */
export function checkProfileForRig(profile: DeviceProfile, file: string, on: ProfileTarget): Release {
  const known = on.releases.map((r) => r.version);
  const at = (field: string, message: string) => new ProfileError(`${file}: ${field}: ${message}`);
  if (profile.device.type !== on.deviceType)
    throw at(
      'device.type',
      `"${profile.device.type}" is not the device type of rig ${on.rigName} (${on.deviceType}); run it on a rig of that type`,
    );
  const source = on.releases.find((r) => r.version === profile.device.release);
  if (!source)
    throw at(
      'device.release',
      `${profile.device.release} is not a release ${on.rigName} can boot: the known releases are ${known.join(', ')} (images/releases.yaml, or --release-dir)`,
    );
  if (profile.target && !known.includes(profile.target))
    throw at('target', `${profile.target} is not a known release: ${known.join(', ')}`);
  const supervisors = [...new Set(on.releases.map((r) => r.supervisor))];
  if (profile.device.supervisor && !supervisors.includes(profile.device.supervisor))
    throw at(
      'device.supervisor',
      `${profile.device.supervisor} is not a supervisor any release ships (${supervisors.join(', ')}): the registry can only serve those`,
    );
  if (profile.rootChanges && source.layout !== '1.x')
    throw at(
      'rootChanges',
      `${source.version} is a 2.x release: its root is read-only and replaced whole by an update; root changes describe 1.x devices`,
    );
  const history = profile.history && profileHistories[profile.history];
  if (history && source.layout !== history.layout)
    throw at(
      'history',
      `${profile.history} is ${history.says}; that happens on ${history.layout} devices, and ${source.version} is ${source.layout}`,
    );
  if (profile.data?.tarball && !existsSync(path.resolve(path.dirname(file), profile.data.tarball)))
    throw at('data.tarball', `no file ${profile.data.tarball} (relative to ${path.dirname(file)})`);
  checkDataFits(profile, file, source);
  return source;
}

/** Data, the data partition's fill and the preloaded app must fit the card's resin-data partition. */
function checkDataFits(profile: DeviceProfile, file: string, source: Release): void {
  const cardBytes = profile.card ? profile.card.sizeMiB * MiB : cardBytesFor();
  const part = placePartitions(source.layout, cardBytes).find((p) => p.label === 'resin-data')!;
  const room = part.sizeBytes * DATA_SHARE;
  const parts: [string, number][] = [
    ['data', dataBytes(profile.data, file)],
    ['app.sizeMB (image and unpacked container)', appStoreBytes(profile.app)],
    ['fill.data', fillBytes(profile.fill?.data, part.sizeBytes)],
  ];
  const total = parts.reduce((s, [, b]) => s + b, 0);
  if (total > room) {
    const named = parts
      .filter(([, b]) => b > 0)
      .map(([f, b]) => `${f} ${(b / 1e6).toFixed(1)} MB`)
      .join(' + ');
    throw new ProfileError(
      `${file}: data: ${named} = ${(total / 1e6).toFixed(1)} MB does not fit the resin-data partition of a ${cardBytes / MiB} MiB ${source.layout} card (${(part.sizeBytes / 1e6).toFixed(1)} MB, at most ${DATA_SHARE * 100}% of it usable: ${(room / 1e6).toFixed(1)} MB). Make the data smaller or the card bigger (card.sizeMiB).`,
    );
  }
}
