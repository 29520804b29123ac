// Loads a release manifest (release.yaml) and checks that every file it names is there, resolving
// paths against the manifest's folder. Errors name the file and the field.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { deviceTypes } from '../../images/device-types.ts';
import {
  type ArtifactKind,
  type DeviceArtifacts,
  type ImageArtifact,
  parseReleaseManifest,
  type ReleaseManifest,
} from './manifest-schema.ts';
import { ReleaseError } from './release-error.ts';

export const MANIFEST_NAME = 'release.yaml';

export interface LoadedManifest extends ReleaseManifest {
  /** The manifest's absolute path. */
  file: string;
}

/** `where`: a release.yaml, or a folder holding one. */
export async function loadReleaseManifest(where: string): Promise<LoadedManifest> {
  const given = path.resolve(where);
  const file = (await isDirectory(given)) ? path.join(given, MANIFEST_NAME) : given;
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new ReleaseError(
      e.code === 'ENOENT'
        ? `${file} does not exist: a release folder holds a ${MANIFEST_NAME} (see README, "Releases made elsewhere")`
        : `cannot read ${file}: ${e.message}`,
    );
  });
  const manifest = parseReleaseManifest(text, file, Object.keys(deviceTypes));
  const dir = path.dirname(file);
  const at = (p: string) => path.resolve(dir, p);
  for (const [type, set] of Object.entries(manifest.deviceTypes)) {
    const field = `deviceTypes.${type}`;
    if (set.card) {
      set.card = { image: at(set.card.image), bmap: set.card.bmap && at(set.card.bmap) };
      await requireFile(file, `${field}.card.image`, set.card.image);
      if (set.card.bmap) await requireFile(file, `${field}.card.bmap`, set.card.bmap);
    }
    for (const kind of ['hostOS', 'supervisor', 'tools', 'resinhup'] as const) {
      const artifact = set[kind];
      if (artifact && 'archive' in artifact) {
        artifact.archive = at(artifact.archive);
        await requireFile(file, `${field}.${kind}.archive`, artifact.archive);
      }
    }
  }
  return { ...manifest, file };
}

const what: Record<ArtifactKind, string> = {
  card: 'card image',
  hostOS: 'hostOS image',
  supervisor: 'supervisor image',
  tools: 'tools image',
  resinhup: 'resinhup image',
};

/** The artifact set of one device type, or a refusal naming the release, its hostOS and the type. */
export function deviceArtifacts(manifest: LoadedManifest, deviceType: string): DeviceArtifacts {
  requireArtifact(manifest, deviceType, 'hostOS');
  return manifest.deviceTypes[deviceType]!;
}

/** One artifact of a device type's set, or a refusal naming the release, the artifact and the device type. */
export function requireArtifact<K extends ArtifactKind>(
  manifest: LoadedManifest,
  deviceType: string,
  kind: K,
): NonNullable<DeviceArtifacts[K]> {
  const set = manifest.deviceTypes[deviceType];
  const artifact = set?.[kind];
  if (!artifact)
    throw new ReleaseError(
      `release ${manifest.version} has no ${what[kind]} for ${deviceType}: ${
        set
          ? `add deviceTypes.${deviceType}.${kind} to ${manifest.file}`
          : `${manifest.file} has artifacts for ${Object.keys(manifest.deviceTypes).join(', ') || 'no device type'} only`
      }`,
    );
  return artifact as NonNullable<DeviceArtifacts[K]>;
}

/** How an image artifact is named in messages: its archive file or registry reference. */
export function artifactSource(artifact: ImageArtifact): string {
  return 'archive' in artifact ? artifact.archive : artifact.reference;
}

async function requireFile(manifestFile: string, field: string, file: string): Promise<void> {
  const s = await stat(file).catch(() => undefined);
  if (!s?.isFile())
    throw new ReleaseError(`${manifestFile}: ${field}: ${file} ${s ? 'is not a file' : 'does not exist'}`);
}

async function isDirectory(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}
