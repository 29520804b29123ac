// The supervisor and user-app container images for a device type's architecture, as gzip tar layers
// cached by their inputs. The app is one tiny layer (static busybox and its script from
// images/containers/app/). The supervisor is sized and layered as the real one (40-70 MB, a Node.js
// application): a runtime layer every version shares (busybox, Debian's Node.js and its libraries)
// and a layer of its own per version (its script from images/containers/supervisor/, its version, and
// the JavaScript modules it ships: Debian's node-* packages), so an update that brings a new
// supervisor pulls that layer only. Note: the supervisor's logic is still the script; Node.js is
// carried, not run.
import { $ } from 'zx';
import { cp, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceTypeProfile, type DeviceTypeProfile } from '../device-types.ts';
import { cacheDir, fileExists, hashInputs } from '../lib/cache.ts';
import { selectedEngine } from '../lib/engine.ts';
import { download, extract, resolveWithDependencies } from '../lib/debian-packages.ts';
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
  /** The image's layers, bottom first (gzip tar files). */
  layerPaths: string[];
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
    // The version is in the layer too, so each supervisor version is a different image. The lean
    // engine's speed runs keep the one small layer of busybox and the script.
    layerPaths:
      selectedEngine() === 'lean'
        ? [await containerLayer('supervisor', deviceType, { 'etc/supervisor-version': `${version}\n` })]
        : [
            await runtimeLayer(deviceType),
            await containerLayer(
              'supervisor',
              deviceType,
              { 'etc/supervisor-version': `${version}\n` },
              SUPERVISOR_MODULES,
              false,
            ),
          ],
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
    layerPaths: [await containerLayer('app', deviceType, {})],
    config: {
      architecture: platform.architecture,
      variant: platform.variant,
      os: 'linux',
      config: { Cmd: ['/usr/bin/heartbeat'], Env: [], Labels: {} },
    },
  };
}

/** The supervisor's runtime (the real one's Node.js base image): Debian's Node.js with its dependencies. */
const SUPERVISOR_RUNTIME = ['nodejs', 'busybox-static'];
/**
 * The JavaScript a supervisor version ships on that runtime: Debian's node-* packages (architecture
 * independent), without their closure.
 */
const SUPERVISOR_MODULES = [
  'node-typescript',
  'node-lodash',
  'node-moment',
  'node-express',
  'node-ws',
  'node-semver',
  'node-yargs',
  'node-undici',
  'node-axios',
].map((p) => `${p}:all`);

/** The layer every supervisor version shares: busybox (the script's shell) and Node.js. */
async function runtimeLayer(deviceType: string): Promise<string> {
  const profile = deviceTypeProfile(deviceType);
  const debs = await download(await resolveWithDependencies(SUPERVISOR_RUNTIME, profile.arch), profile.arch, cacheDir);
  const hash = await hashInputs([fileURLToPath(import.meta.url)], [profile.arch, debs.map((d) => path.basename(d))]);
  return cachedLayer(`supervisor-runtime-${profile.arch}-${hash}`, async (tree) => {
    await extract(debs, tree);
    await linkBusyboxApplets(tree, profile);
    for (const d of ['usr/share/doc', 'usr/share/man', 'usr/share/lintian'])
      await rm(path.join(tree, d), { recursive: true, force: true });
  });
}

/**
 * A layer of `kind`'s files (images/containers/<kind>/) and `files`, with the contents of `debs`
 * (Debian packages, without their closure); `withBusybox`: a layer that runs on its own (static
 * busybox and its applets), not on a runtime layer below.
 */
async function containerLayer(
  kind: ContainerKind,
  deviceType: string,
  files: Record<string, string>,
  debs: string[] = [],
  withBusybox = true,
): Promise<string> {
  const profile = deviceTypeProfile(deviceType);
  const [busybox] = await download(['busybox-static'], profile.arch, cacheDir);
  const packages = debs.length ? await download(debs, profile.arch, cacheDir) : [];
  const hash = await hashInputs(
    [path.join(here, kind), fileURLToPath(import.meta.url)],
    [profile.arch, path.basename(busybox!), files, packages.map((d) => path.basename(d)), withBusybox],
  );
  return cachedLayer(`${kind}-${profile.arch}-${hash}`, async (tree, work) => {
    if (withBusybox) {
      await extract([busybox!], path.join(work, 'deb'));
      await mkdir(path.join(tree, 'bin'), { recursive: true });
      await cp(path.join(work, 'deb/bin/busybox'), path.join(tree, 'bin/busybox'));
      await linkBusyboxApplets(tree, profile);
    }
    if (packages.length) {
      await extract(packages, tree);
      for (const d of ['usr/share/doc', 'usr/share/man'])
        await rm(path.join(tree, d), { recursive: true, force: true });
    }
    await cp(path.join(here, kind), tree, { recursive: true });
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(tree, file)), { recursive: true });
      await $`printf %s ${text} > ${path.join(tree, file)}`;
    }
    for (const d of ['tmp', 'data', 'dev', 'proc', 'var/run', 'mnt/boot'])
      await mkdir(path.join(tree, d), { recursive: true });
  });
}

/**
 * The layer `.cache/containers/<name>.tar.gz` (`name` carries the hash of its inputs), built when it is
 * not there yet: `build` fills `tree` (a scratch folder `work` beside it is its own), then the tree is
 * written as a reproducible tarball. The scratch folder is per name and process: one process may build
 * two versions' layers at once, and two runs the same one.
 */
export async function cachedLayer(name: string, build: (tree: string, work: string) => Promise<void>): Promise<string> {
  const output = path.join(cacheDir, 'containers', `${name}.tar.gz`);
  if (await fileExists(output)) return output;
  const work = path.join(cacheDir, 'work', `${name}-${process.pid}`);
  const tree = path.join(work, 'rootfs');
  await rm(work, { recursive: true, force: true });
  try {
    await mkdir(tree, { recursive: true });
    await build(tree, work);
    await writeLayerTarball(tree, output);
    return output;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

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
