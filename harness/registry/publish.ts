// Puts into a registry what a device and an update path need: the hostOS image of a release
// (one layer: the release's root filesystem), its supervisor, the user app, and for a 1.x → 2.x
// migration the tools image.
import { readFile } from 'node:fs/promises';
import { ensureImage, type BuiltImage } from '../../images/build.ts';
import { appImage, platformOf, supervisorImage, type ContainerImage } from '../../images/containers/container-images.ts';
import { toolsImage } from '../../images/containers/tools-image.ts';
import { resinhupImage } from '../../images/containers/resinhup-image.ts';
import { updaterScript } from '../updater/device-setup.ts';
import { hostOsArchive } from '../../images/lib/hostos-archive.ts';
import { findRelease, registryTag } from '../../images/lib/releases.ts';
import type { PushedImage, RegistryClient } from './client.ts';

export function hostOsReference(version: string, deviceType: string): string {
  return `resin/resinos:${registryTag(version, deviceType)}`;
}

export async function pushHostOs(client: RegistryClient, image: BuiltImage): Promise<PushedImage> {
  const layer = await readFile(await hostOsArchive(image));
  const platform = platformOf(image.deviceType);
  return client.pushImage(hostOsReference(image.version, image.deviceType), {
    layers: [{ gzip: layer }],
    config: {
      architecture: platform.architecture,
      variant: platform.variant,
      os: 'linux',
      config: { Cmd: ['/bin/sh'], Labels: { 'io.resin.os.version': image.version, 'io.resin.device-type': image.deviceType } },
    },
  });
}

async function pushContainer(client: RegistryClient, image: ContainerImage): Promise<PushedImage> {
  return client.pushImage(image.reference, { layers: [{ gzip: await readFile(image.layerPath) }], config: image.config });
}

export async function pushSupervisor(client: RegistryClient, deviceType: string, version: string): Promise<PushedImage> {
  return pushContainer(client, await supervisorImage(deviceType, version));
}

export async function pushApp(client: RegistryClient, deviceType: string): Promise<PushedImage> {
  return pushContainer(client, await appImage(deviceType));
}

/** Everything a device of `deviceType` at or going to `version` pulls: hostOS, supervisor, app. */
export async function publishRelease(client: RegistryClient, version: string, deviceType: string): Promise<PushedImage[]> {
  const release = await findRelease(version);
  const built = await ensureImage(release, deviceType);
  return [await pushHostOs(client, built), await pushSupervisor(client, deviceType, release.supervisor), await pushApp(client, deviceType)];
}

/** The tools image upgrade-1.x-to-2.x.sh pulls for a migration to `targetVersion` (2.x). */
export async function publishTools(client: RegistryClient, targetVersion: string, deviceType: string): Promise<PushedImage> {
  const built = await ensureImage(await findRelease(targetVersion), deviceType);
  return pushContainer(client, await toolsImage(built));
}

/** The resinhup image upgrade-1.x.sh pulls for a 1.x → 1.x update: the secondary updater of updaterScript('resinhup'). */
export async function publishResinhup(client: RegistryClient, deviceType: string): Promise<PushedImage> {
  return pushContainer(client, await resinhupImage(deviceType, updaterScript('resinhup')));
}
