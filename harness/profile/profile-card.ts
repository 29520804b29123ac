// The card of a profiled device, made on the host before flashing: the release's card, grown to the
// profile's card size, with a resin-data partition rebuilt to hold the profile's user data (files of
// the sizes and compressibility it gives, or its tarball) and its preloaded app. Cached by inputs.
import { $ } from 'zx';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir, fileExists } from '../../images/lib/cache.ts';
import { partitionByLabel } from '../image/card-image.ts';
import { SEED_DIR, writeResinData, writeSeedFile } from '../image/seed-data.ts';
import { preloadApp } from './app-preload.ts';
import type { DeviceProfile } from './profile-schema.ts';
import { dataFiles } from './profile-sizes.ts';

const MiB = 1024 * 1024;
const derivedDir = path.join(cacheDir, 'derived', 'profiles');

export interface ProfileCard {
  path: string;
  /** sha256 per seeded file, keyed as the device's checksums are (`./userdata/<file>`). */
  checksums: Record<string, string>;
  appBytes?: number;
}

/** Does the profile change the card at all (else the release's card is flashed as it is)? */
export const changesCard = (p: DeviceProfile) => Boolean(p.card || p.data || p.app);

export async function profileCard(
  image: string,
  profile: DeviceProfile,
  profileFile: string,
  deviceType: string,
): Promise<ProfileCard> {
  if (!changesCard(profile)) return { path: image, checksums: {} };
  const tarball = profile.data?.tarball ? path.resolve(path.dirname(profileFile), profile.data.tarball) : undefined;
  const inputs = {
    image: path.resolve(image),
    mtime: (await stat(image)).mtimeMs,
    card: profile.card,
    data: profile.data,
  };
  const key = createHash('sha256')
    .update(JSON.stringify({ ...inputs, app: profile.app, tarball: tarball && (await stat(tarball)).mtimeMs }))
    .digest('hex')
    .slice(0, 16);
  const out = path.join(derivedDir, `${profile.name}-${key}.img`);
  const sidecar = out.replace(/\.img$/, '.json');
  if ((await fileExists(out)) && (await fileExists(sidecar))) return JSON.parse(await readFile(sidecar, 'utf8'));
  await mkdir(derivedDir, { recursive: true });
  const work = path.join(cacheDir, 'work', `profile-${key}-${process.pid}`);
  const tmp = `${out}.partial`;
  try {
    await $`cp --sparse=always ${image} ${tmp}`;
    if (profile.card) await growCard(tmp, profile.card.sizeMiB);
    const tree = path.join(work, 'tree');
    const checksums = await writeUserData(path.join(tree, SEED_DIR), profile, tarball);
    const app = profile.app ? await preloadApp(tree, deviceType, profile.app.sizeMB) : undefined;
    const part = await partitionByLabel(tmp, 'resin-data');
    await writeResinData(tmp, part, tree, work);
    const card: ProfileCard = { path: out, checksums, appBytes: app?.bytes };
    await rename(tmp, out);
    await writeFile(sidecar, JSON.stringify(card, null, 2));
    return card;
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(tmp, { force: true });
  }
}

/** Grows the card file and its last partitions (the extended one and resin-data in it) to `sizeMiB`. */
async function growCard(card: string, sizeMiB: number): Promise<void> {
  const now = (await stat(card)).size;
  if (sizeMiB * MiB <= now) return;
  await $`truncate -s ${sizeMiB * MiB} ${card}`;
  await $({ input: ', +\n' })`sfdisk --quiet --no-reread --no-tell-kernel -N 4 ${card}`;
  await $({ input: ', +\n' })`sfdisk --quiet --no-reread --no-tell-kernel -N 6 ${card}`;
}

/** The profile's files under resin-data/userdata (or its tarball unpacked there); sha256 per file. */
async function writeUserData(
  dir: string,
  profile: DeviceProfile,
  tarball: string | undefined,
): Promise<Record<string, string>> {
  await mkdir(dir, { recursive: true });
  const checksums: Record<string, string> = {};
  if (tarball) {
    await $`tar -C ${dir} -xf ${tarball}`;
    return checksums;
  }
  const kind = profile.data?.compressibility ?? 'incompressible';
  const ext = kind === 'compressible' ? 'log' : 'bin';
  for (const [i, bytes] of dataFiles(profile.data).entries()) {
    const name = `${kind}-${String(i + 1).padStart(4, '0')}.${ext}`;
    checksums[`./userdata/${name}`] = await writeSeedFile(
      path.join(dir, name),
      bytes,
      kind,
      `${profile.name}/${i + 1}`,
    );
  }
  return checksums;
}
