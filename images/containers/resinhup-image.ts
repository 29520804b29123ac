// The resinhup image upgrade-1.x.sh pulls for a 1.x → 1.x update, one per device type: the secondary
// updater (images/updater/resinhup/, Python) with the interpreter and tools it runs with, as a root
// tree the outer script unpacks and chroots into.
//   /usr/bin/python3.11       Debian's python3.11-minimal (its minimal stdlib) plus `json` from the
//                             full stdlib, which the config.json migrations need; no libssl: hashlib
//                             uses Python's built-in sha256
//   /bin/busybox + applets    tar, mount, sync, mkfifo for the secondary's subprocesses
//   /sbin/mkfs.ext4 …         e2fsprogs, to format the spare root with the image's own mkfs
//   /usr/lib/resinhup/        the secondary updater
import { $ } from 'zx';
import { cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceTypeProfile } from '../device-types.ts';
import { cacheDir, fileExists, hashInputs } from '../lib/cache.ts';
import { download, extract, resolveWithDependencies } from '../lib/debian-packages.ts';
import { linkBusyboxApplets } from '../lib/rootfs.ts';
import { cachedLayer, platformOf, type ContainerImage } from './container-images.ts';

/** The secondary updater's interface version: the tag's `v<N>` (upgrade-1.x.sh pulls `resin/resinhup:v<N>-<device type>`). */
export const RESINHUP_VERSION = '1';
const PYTHON = 'python3.11';

export function resinhupReference(deviceType: string): string {
  return `resin/resinhup:v${RESINHUP_VERSION}-${deviceType}`;
}

/** `secondaryDir`: the secondary updater's sources (images/updater/resinhup, or a vendor's). */
export async function resinhupImage(deviceType: string, secondaryDir: string): Promise<ContainerImage> {
  const platform = platformOf(deviceType);
  return {
    reference: resinhupReference(deviceType),
    layerPaths: [await resinhupLayer(deviceType, secondaryDir)],
    config: {
      architecture: platform.architecture,
      variant: platform.variant,
      os: 'linux',
      config: {
        Cmd: [`/usr/bin/${PYTHON}`, '/usr/lib/resinhup/resinhup.py', '--help'],
        Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
        Labels: { 'io.resin.hup.version': RESINHUP_VERSION, 'io.resin.device-type': deviceType },
      },
    },
  };
}

async function resinhupLayer(deviceType: string, secondaryDir: string): Promise<string> {
  const profile = deviceTypeProfile(deviceType);
  if (!(await fileExists(path.join(secondaryDir, 'resinhup.py'))))
    throw new Error(`No secondary updater at ${secondaryDir}/resinhup.py`);
  // Note: libssl3 is only for the _ssl and _hashlib extensions, which are dropped below.
  const closure = (
    await resolveWithDependencies([`${PYTHON}-minimal`, 'e2fsprogs', 'busybox-static'], profile.arch)
  ).filter((p) => !p.startsWith('libssl'));
  const debs = await download(closure, profile.arch, cacheDir);
  const [stdlib] = await download([`lib${PYTHON}-stdlib`], profile.arch, cacheDir);
  const hash = await hashInputs(
    [secondaryDir, fileURLToPath(import.meta.url)],
    [profile.arch, debs.map((d) => path.basename(d)), path.basename(stdlib!)],
  );
  return cachedLayer(`resinhup-${profile.arch}-${hash}`, async (tree, work) => {
    await extract(debs, tree);
    await extract([stdlib!], path.join(work, 'stdlib'));
    await cp(path.join(work, 'stdlib/usr/lib', PYTHON, 'json'), path.join(tree, 'usr/lib', PYTHON, 'json'), {
      recursive: true,
    });
    await $`rm -f ${tree}/usr/lib/${PYTHON}/lib-dynload/_ssl.* ${tree}/usr/lib/${PYTHON}/lib-dynload/_hashlib.*`;
    for (const d of ['usr/share/doc', 'usr/share/man', 'usr/share/locale', 'usr/share/lintian', 'usr/include'])
      await rm(path.join(tree, d), { recursive: true, force: true });
    await linkBusyboxApplets(tree, profile);
    // Note: a local __pycache__ (from running or compiling the secondary on the host) is not shipped.
    await cp(secondaryDir, path.join(tree, 'usr/lib/resinhup'), {
      recursive: true,
      filter: (source) => path.basename(source) !== '__pycache__',
    });
    // Mount points the outer script binds: the running root, the card's boot partition, the engine.
    for (const d of ['host', 'mnt/boot', 'mnt/spare', 'dev', 'proc', 'sys', 'tmp', 'run/docker/spool', 'run/resinhup'])
      await mkdir(path.join(tree, d), { recursive: true });
  });
}
