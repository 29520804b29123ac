// A mislabelled release the registry serves anyway (the harness refuses to publish one, see
// harness/release/hostos-label.ts; these are a registry someone else filled): under the target's
// hostOS tag, the running release's image. With its labels, the 2.x updaters must refuse it in their
// checks; with its labels stripped, only its root's /etc/os-release tells, and they must refuse it
// after the export, before the boot files and the boot settings change.
import type { Release } from '../../images/lib/releases.ts';
import { parseReference, type RegistryClient } from '../registry/client.ts';
import { type ImageConfig, MEDIA_TYPES } from '../registry/manifest.ts';
import { hostOsReference } from '../registry/publish.ts';
import { versionPattern } from '../updater/profiles/words.ts';
import type { FaultTarget, Refusal, RefusalFault } from './types.ts';

/** The labels that say which release a hostOS image is. */
const RELEASE_LABELS = ['io.resin.os.version', 'io.resin.device-type'];

type Swap = (client: RegistryClient, from: string, to: string) => Promise<void>;

/** Puts under `to`'s tag what `swap` makes of the image tagged `from`; the undo puts `to`'s own manifest back. */
function serveUnderTarget(device: Release, target: string, swap: Swap) {
  return async ({ board, registry }: FaultTarget): Promise<() => Promise<void>> => {
    const { deviceType } = board.rig;
    const client = registry.started.client;
    const to = hostOsReference(target, deviceType);
    const own = await client.getManifest(to);
    await swap(client, hostOsReference(device.version, deviceType), to);
    const { repository, tag } = parseReference(to);
    return async () => void (await client.pushManifestBytes(repository, tag, own.bytes, own.manifest.mediaType));
  };
}

/** The image as it is: its manifest's bytes unchanged (the same config and layers). */
const asItIs: Swap = async (client, from, to) => {
  const { repository, tag } = parseReference(to);
  const other = await client.getManifest(from);
  await client.pushManifestBytes(repository, tag, other.bytes, other.manifest.mediaType);
};

/** The image with the release labels gone from its config (the same layers, so the same root). */
const unlabelled: Swap = async (client, from, to) => {
  const { repository, tag } = parseReference(to);
  const { manifest } = await client.getManifest(from);
  const config = JSON.parse((await client.getBlob(repository, manifest.config.digest)).toString('utf8')) as ImageConfig;
  const labels = Object.fromEntries(
    Object.entries(config.config.Labels ?? {}).filter(([k]) => !RELEASE_LABELS.includes(k)),
  );
  const bytes = Buffer.from(JSON.stringify({ ...config, config: { ...config.config, Labels: labels } }));
  const pushed = await client.pushBlob(repository, bytes, MEDIA_TYPES.config);
  await client.pushManifest(repository, tag, { ...manifest, config: pushed.descriptor });
};

const tagOf = (version: string) => versionPattern(version.replace('+', '_'));

export const mislabelledHostOs: RefusalFault = {
  kind: 'refusal',
  name: 'mislabelled-hostos',
  description:
    "the registry serves the running release's hostOS image under the target's tag: its labels and /etc/os-release name the running version",
  guarantee:
    'exit 1 with "mislabelled hostOS image … not <target>", before anything is written; no reboot, no phase past the checks, and the device exactly as it was',
  refusal: ({ device, target }) => ({
    name: "a mislabelled hostOS image (the running release's image under the target's tag)",
    fault: 'mislabelled-hostos',
    device,
    target,
    arrangeRegistry: serveUnderTarget(device, target, asItIs),
    exitCode: 1,
    message: new RegExp(
      `mislabelled hostOS image: resin/resinos:${tagOf(target)}-\\S+ says it is ${versionPattern(device.version)} for \\S+ \\(io\\.resin\\.os\\.version, io\\.resin\\.device-type\\), not ${versionPattern(target)} for \\S+; refusing before anything is written`,
    ),
  }),
};

export const unlabelledOtherRoot: RefusalFault = {
  kind: 'refusal',
  name: 'mislabelled-root',
  description:
    "the registry serves the running release's hostOS image, its release labels stripped, under the target's tag: only its root's /etc/os-release says it is the running version",
  guarantee:
    'exit 1 with "mislabelled hostOS image: the root exported … not <target>" after the export (the spare root rewritten), before the boot files; no reboot, the boot settings, boot files and the rest of the device as they were',
  refusal: ({ device, target }) => ({
    name: "an unlabelled hostOS image whose root is another release's (refused after the export)",
    fault: 'mislabelled-root',
    device,
    target,
    arrangeRegistry: serveUnderTarget(device, target, unlabelled),
    lastPhase: 'export',
    exitCode: 1,
    message: new RegExp(
      `mislabelled hostOS image: the root exported from resin/resinos:${tagOf(target)}-\\S+ says VERSION='${versionPattern(device.version)}' MACHINE='\\S+' in /etc/os-release, not ${versionPattern(target)} for \\S+; refusing before the boot files and the boot settings`,
    ),
  }),
};

/** The running release's hostOS image served under the target's tag (the 2.x updaters check its labels). */
export function mislabelledHostOsImage(device: Release, target: string): Refusal {
  return mislabelledHostOs.refusal({ device, target });
}

/** The same without its release labels: the 2.x updaters tell it from the exported root's os-release. */
export function unlabelledOtherRootImage(device: Release, target: string): Refusal {
  return unlabelledOtherRoot.refusal({ device, target });
}
