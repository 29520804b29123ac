// Reference image builder: `npm run images [-- --device-type T] [--release V]`.
// Builds a sparse SD-card image per release and device type from Debian's packages for the target
// architecture, cached under .cache/images/ by a hash of its inputs.
import { link, mkdir, rm, writeFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceTypeProfile, deviceTypes } from './device-types.ts';
import { cacheDir, fileExists, hashInputs } from './lib/cache.ts';
import { PromiseCache } from './lib/promise-cache.ts';
import { projectRoot } from '../harness/project-root.ts';
import {
  download,
  extract,
  resolveMetapackage,
  resolveWithDependencies,
  writeDpkgStatus,
} from './lib/debian-packages.ts';
import { buildInitramfs, findKernel, installKernelModules } from './lib/kernel.ts';
import { downloadBootPackages, installKernel, writeBootPartition } from './lib/boot-files.ts';
import { writeLegacyBootPartition } from './lib/boot-files-1x.ts';
import { linkBusyboxApplets, prune, writeReleaseFiles } from './lib/rootfs.ts';
import { writeFingerprint } from './lib/fingerprint.ts';
import { assembleCard } from './lib/disk.ts';
import { cardBytesFor, placePartitions, type PlacedPartition } from './lib/layout.ts';
import { type EngineName, mobyModules, mobyPackagesNoDeps, selectedEngine, shellEngineFiles } from './lib/engine.ts';
import { installMobyEngine } from './lib/engine-moby.ts';
import { loadReleases, type Release } from './lib/releases.ts';
import { ensureDeviceKey } from './lib/keys.ts';
import { userlandPackages, userlandPackagesNoDeps } from './lib/userland.ts';
import { downloadFromSuite } from './lib/debian-suite.ts';
import { releaseSuite, splitBySuite } from './lib/release-boot.ts';

const imagesDir = path.join(projectRoot, 'images');
export interface BuiltImage {
  path: string;
  hash: string;
  version: string;
  deviceType: string;
  layout: Release['layout'];
  partitions: PlacedPartition[];
}

/** What an image is built from, downloaded, and the hash of it all that names the build. */
interface ImageInputs {
  profile: ReturnType<typeof deviceTypeProfile>;
  key: Awaited<ReturnType<typeof ensureDeviceKey>>;
  userland: string[];
  kernelDeb: string[];
  bootPackages: string[];
  engine: EngineName;
  /** The engine's packages (none for the lean engine, which is an overlay file). */
  engineDebs: string[];
  hash: string;
}

/** Builds in flight in this process: a second caller waits for the first (they share a work folder). */
const building = new PromiseCache<BuiltImage>({ inFlightOnly: true });

/** The card image of `release` for `deviceType`: the cached build, or built now. */
export function ensureImage(release: Release, deviceType: string, log = (_: string) => {}): Promise<BuiltImage> {
  // A release with a manifest of its own was made elsewhere: never substitute a reference build for it.
  if (release.manifest)
    return Promise.reject(
      new Error(`${release.version} is given by ${release.manifest}; the reference builder does not build it`),
    );
  const key = `${deviceType}/${release.version}`;
  return building.get(key, () => buildOrReuse(release, deviceType, log));
}

async function buildOrReuse(release: Release, deviceType: string, log: (line: string) => void): Promise<BuiltImage> {
  const inputs = await imageInputs(release, deviceType);
  const outDir = path.join(cacheDir, 'images', deviceType, release.version);
  const output = path.join(outDir, `${inputs.hash}.img`);
  const meta: BuiltImage = {
    path: output,
    hash: inputs.hash,
    version: release.version,
    deviceType,
    layout: release.layout,
    partitions: placePartitions(release.layout, cardBytesFor(inputs.engine)),
  };
  if (await fileExists(output)) return meta;

  log(`building ${deviceType} ${release.version} (${inputs.hash})`);
  const work = path.join(cacheDir, 'work', `${deviceType}-${release.version}-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  try {
    const { rootfs, kernel } = await buildRootTree(release, deviceType, inputs, work);
    const boot = await buildBootTree(release, deviceType, inputs, { rootfs, kernel, work });

    await mkdir(outDir, { recursive: true });
    const tmp = `${output}.${process.pid}.partial`; // per process: two runs may build the same inputs at once
    // 1.x boots resin-root (p2) first; resin-updt (p3) is the empty spare its updaters write.
    const rootLabel = release.layout === '2.x' ? 'resin-rootA' : 'resin-root';
    await assembleCard({
      layout: release.layout,
      output: tmp,
      cardBytes: cardBytesFor(inputs.engine),
      workDir: work,
      contents: { 'resin-boot': { from: boot }, [rootLabel]: { from: rootfs } },
    });
    await pruneOldBuilds(outDir);
    if (await publishOnce(tmp, output)) {
      await writeFile(path.join(outDir, `${inputs.hash}.json`), JSON.stringify(meta, null, 2));
      log(`built ${path.relative(projectRoot, output)}`);
    } else log(`another run built ${path.relative(projectRoot, output)} first; using its image`);
    return meta;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Puts a finished build in place unless another process already did. Two builds of the same inputs
 * differ byte for byte (random disk and filesystem identifiers), and a test may already be flashing
 * or block-mapping the first one, so a published image is never replaced: link() fails on EEXIST
 * where rename() would silently swap the file under its readers.
 */
async function publishOnce(tmp: string, output: string): Promise<boolean> {
  try {
    await link(tmp, output);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await rm(tmp, { force: true });
  }
}

async function imageInputs(release: Release, deviceType: string): Promise<ImageInputs> {
  const profile = deviceTypeProfile(deviceType);
  const key = await ensureDeviceKey();
  // The release's own packages come from its suite (an older Debian for an older release), their
  // dependencies with the rest of the userland from the host's.
  const closure = await resolveWithDependencies([...userlandPackages, ...(release.packages ?? [])], profile.arch);
  const bySuite = splitBySuite(closure, release);
  const userland = [
    ...(await download([...bySuite.host, ...userlandPackagesNoDeps], profile.arch, cacheDir)),
    ...(await downloadFromSuite(bySuite.suite, profile.arch, releaseSuite(release), cacheDir)),
  ];
  const kernelDeb = await download(
    [await resolveMetapackage(profile.kernelPackage, profile.arch)],
    profile.arch,
    cacheDir,
  );
  const bootPackages = await downloadBootPackages(profile, release, cacheDir);
  const engine = selectedEngine();
  const engineDebs = engine === 'moby' ? await download(mobyPackagesNoDeps, profile.arch, cacheDir) : [];
  const hash = await hashInputs(
    [
      path.join(imagesDir, 'lib'),
      path.join(imagesDir, 'rootfs-overlay'),
      path.join(imagesDir, 'boot'),
      path.join(imagesDir, 'initramfs'),
      path.join(imagesDir, 'build.ts'),
      path.join(imagesDir, 'device-types.ts'),
      path.join(imagesDir, 'engine-moby'),
    ],
    [
      release,
      deviceType,
      userland.map((d) => path.basename(d)),
      kernelDeb.map((d) => path.basename(d)),
      bootPackages.map((d) => path.basename(d)),
      key.publicKey,
      // Note: the lean engine is not named, so its builds keep the hashes (and caches) they had when it
      // was the default.
      ...(engine === 'lean' ? [] : [engine, engineDebs.map((d) => path.basename(d))]),
    ],
  );
  return { profile, key, userland, kernelDeb, bootPackages, engine, engineDebs, hash };
}

/** The root filesystem tree (userland, release files, kernel and initramfs) under `work`/rootfs. */
async function buildRootTree(release: Release, deviceType: string, inputs: ImageInputs, work: string) {
  const { profile } = inputs;
  const rootfs = path.join(work, 'rootfs');
  await extract(inputs.userland, rootfs);
  if (inputs.engine === 'moby') await installMobyEngine(rootfs, inputs.engineDebs);
  await prune(rootfs);
  // The boot packages too: U-Boot's files are on resin-boot, and its version is part of the release.
  await writeDpkgStatus(
    [...inputs.userland, ...inputs.engineDebs, ...inputs.kernelDeb, ...inputs.bootPackages],
    rootfs,
  );
  await linkBusyboxApplets(rootfs, profile);
  await writeReleaseFiles({
    tree: rootfs,
    deviceType,
    profile,
    version: release.version,
    layout: release.layout,
    overlayDir: path.join(imagesDir, 'rootfs-overlay'),
    engineOverlay:
      inputs.engine === 'moby'
        ? { dir: path.join(imagesDir, 'engine-moby/overlay'), skip: shellEngineFiles }
        : undefined,
    authorizedKey: inputs.key.publicKey,
  });

  const kernelTree = path.join(work, 'kernel');
  await extract(inputs.kernelDeb, kernelTree);
  const kernel = await findKernel(kernelTree);
  await installKernel(kernel, path.join(rootfs, 'boot/vmlinuz'), profile);
  if (inputs.engine === 'moby') await installKernelModules(kernel, rootfs, release.kernelModules ?? []);
  await buildInitramfs({
    kernel,
    modules: inputs.engine === 'moby' ? [...profile.modules, ...mobyModules] : profile.modules,
    busybox: path.join(rootfs, 'bin/busybox'),
    initScript: path.join(imagesDir, 'initramfs/init'),
    workDir: work,
    output: path.join(rootfs, 'boot/initrd.img'),
  });

  // Last change to the root tree: the 1.x fingerprint covers every file the card's root holds.
  if (release.layout === '1.x') await writeFingerprint(rootfs);
  return { rootfs, kernel };
}

/** The boot partition's tree under `work`/boot, as the release's layout (2.x or 1.x) boots. */
async function buildBootTree(
  release: Release,
  deviceType: string,
  { profile, bootPackages }: ImageInputs,
  { rootfs, kernel, work }: { rootfs: string; kernel: Awaited<ReturnType<typeof findKernel>>; work: string },
): Promise<string> {
  const boot = path.join(work, 'boot');
  if (release.layout === '2.x') {
    await writeBootPartition({
      dir: boot,
      profile,
      release,
      bootCmd: path.join(imagesDir, 'boot/boot.cmd'),
      kernel,
      bootPackages,
      workDir: work,
    });
  } else {
    await writeLegacyBootPartition({
      dir: boot,
      deviceType,
      profile,
      release,
      bootCmd: path.join(imagesDir, 'boot/boot-1x.cmd'),
      rootfs,
      kernel,
    });
  }
  return boot;
}

/**
 * Drops builds of a release whose inputs have since changed, keeping the newest few: another run
 * (or a test still using an older checkout) may have a board booted from one of them.
 */
async function pruneOldBuilds(outDir: string, keep = 3): Promise<void> {
  const images = await Promise.all(
    (await readdir(outDir))
      .filter((f) => f.endsWith('.img'))
      .map(async (f) => ({ f, mtime: (await stat(path.join(outDir, f))).mtimeMs })),
  );
  for (const { f } of images.sort((a, b) => b.mtime - a.mtime).slice(keep)) {
    await rm(path.join(outDir, f), { force: true });
    await rm(path.join(outDir, f.replace(/\.img$/, '.json')), { force: true });
  }
}

export async function ensureAllImages(
  filter: { deviceType?: string; release?: string } = {},
  log = console.log,
): Promise<BuiltImage[]> {
  const built: BuiltImage[] = [];
  for (const release of await loadReleases()) {
    if (release.manifest || (filter.release && release.version !== filter.release)) continue;
    for (const deviceType of Object.keys(deviceTypes)) {
      if (filter.deviceType && deviceType !== filter.deviceType) continue;
      built.push(await ensureImage(release, deviceType, log));
    }
  }
  return built;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const started = Date.now();
  const images = await ensureAllImages({ deviceType: arg('--device-type'), release: arg('--release') });
  for (const image of images)
    console.log(`${image.deviceType}\t${image.version}\t${path.relative(projectRoot, image.path)}`);
  console.log(`${images.length} image(s) ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}
