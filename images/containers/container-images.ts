// The supervisor and user-app container images: tiny root trees (static busybox and one script
// from images/containers/<kind>/) for a device type's architecture, as gzip tar layers cached by
// their inputs.
import { $ } from 'zx';
import { cp, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceTypeProfile, type DeviceTypeProfile } from '../device-types.ts';
import { cacheDir, fileExists, hashInputs } from '../lib/cache.ts';
import { download, extract } from '../lib/debian-packages.ts';
import { linkBusyboxApplets } from '../lib/rootfs.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export type ContainerKind = 'supervisor' | 'app';

/** Docker's names for Debian's architectures: the image config's platform, the supervisor repo's prefix. */
const platforms: Record<DeviceTypeProfile['arch'], { architecture: string; variant: string; supervisorArch: string }> =
  {
    armhf: { architecture: 'arm', variant: 'v7', supervisorArch: 'armv7hf' },
    arm64: { architecture: 'arm64', variant: 'v8', supervisorArch: 'aarch64' },
  };

export function platformOf(deviceType: string) {
  return platforms[deviceTypeProfile(deviceType).arch];
}

export function supervisorRepository(deviceType: string): string {
  return `resin/${platformOf(deviceType).supervisorArch}-supervisor`;
}

export function supervisorReference(deviceType: string, version: string): string {
  return `${supervisorRepository(deviceType)}:v${version}`;
}

export const APP_REFERENCE = 'hupbench/app:latest';

export interface ContainerImage {
  reference: string;
  layerPath: string;
  config: {
    architecture: string;
    variant: string;
    os: 'linux';
    config: { Cmd: string[]; Env: string[]; Labels: Record<string, string> };
  };
}

export async function supervisorImage(deviceType: string, version: string): Promise<ContainerImage> {
  const platform = platformOf(deviceType);
  return {
    reference: supervisorReference(deviceType, version),
    // The version is in the layer too, so each supervisor version is a different image.
    layerPath: await containerLayer('supervisor', deviceType, { 'etc/supervisor-version': `${version}\n` }),
    config: {
      architecture: platform.architecture,
      variant: platform.variant,
      os: 'linux',
      config: {
        Cmd: ['/usr/bin/supervisor'],
        Env: [`SUPERVISOR_VERSION=${version}`],
        Labels: { 'io.resin.supervisor.version': version },
      },
    },
  };
}

export async function appImage(deviceType: string): Promise<ContainerImage> {
  const platform = platformOf(deviceType);
  return {
    reference: APP_REFERENCE,
    layerPath: await containerLayer('app', deviceType, {}),
    config: {
      architecture: platform.architecture,
      variant: platform.variant,
      os: 'linux',
      config: { Cmd: ['/usr/bin/heartbeat'], Env: [], Labels: {} },
    },
  };
}

async function containerLayer(kind: ContainerKind, deviceType: string, files: Record<string, string>): Promise<string> {
  const profile = deviceTypeProfile(deviceType);
  const [busybox] = await download(['busybox-static'], profile.arch, cacheDir);
  const hash = await hashInputs(
    [path.join(here, kind), fileURLToPath(import.meta.url)],
    [profile.arch, path.basename(busybox!), files],
  );
  const output = path.join(cacheDir, 'containers', `${kind}-${profile.arch}-${hash}.tar.gz`);
  if (await fileExists(output)) return output;
  // Note: per hash too: one process may build two versions' supervisor layers at once.
  const work = path.join(cacheDir, 'work', `container-${kind}-${profile.arch}-${hash}-${process.pid}`);
  const tree = path.join(work, 'rootfs');
  await rm(work, { recursive: true, force: true });
  try {
    await extract([busybox!], path.join(work, 'deb'));
    await mkdir(path.join(tree, 'bin'), { recursive: true });
    await cp(path.join(work, 'deb/bin/busybox'), path.join(tree, 'bin/busybox'));
    await linkBusyboxApplets(tree, profile);
    await cp(path.join(here, kind), tree, { recursive: true });
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(tree, file)), { recursive: true });
      await $`printf %s ${text} > ${path.join(tree, file)}`;
    }
    for (const d of ['tmp', 'data', 'dev', 'proc', 'var/run', 'mnt/boot'])
      await mkdir(path.join(tree, d), { recursive: true });
    await writeLayerTarball(tree, output);
    return output;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The layer's bytes, for pushing. */
/**
 * A reproducible gzip'd tar of `tree` (root-owned, sorted, epoch mtimes) at `output`, written under a
 * per-process name first: two runs may build the same layer at once.
 */
export async function writeLayerTarball(tree: string, output: string): Promise<void> {
  await mkdir(path.dirname(output), { recursive: true });
  const partial = `${output}.${process.pid}.partial`;
  await $`tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C ${tree} -cf - . | gzip -n -9 > ${partial}`;
  await rename(partial, output);
}

export function readLayer(image: ContainerImage): Promise<Buffer> {
  return readFile(image.layerPath);
}
