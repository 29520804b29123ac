// The resinhup image upgrade-1.x.sh pulls for a 1.x → 1.x update, one per device type: the secondary
// updater (images/updater/resinhup/, Python) with the interpreter and tools it runs with, as a root
// tree the outer script unpacks and chroots into.
//   /usr/bin/python3.11       Debian's python3.11-minimal with the full stdlib
//   /bin/busybox + applets    tar, mount, sync, mkfifo for the secondary's subprocesses
//   /sbin/mkfs.ext4 …         e2fsprogs, to format the spare root with the image's own mkfs
//   /usr/lib/resinhup/        the secondary updater
// On the real engine the image carries what resinhup's own image did (its Dockerfile: python3 with
// pyparted, blkid, btrfs-progs, dosfstools, e2fsprogs, jq, kmod, mtools, parted, util-linux, wget),
// from Debian, so a 1.x → 1.x update downloads a real-sized updater. The lean engine's speed runs keep
// the minimal one: the minimal stdlib and `json` (the config.json migrations), no libssl (hashlib uses
// Python's built-in sha256).
import { $ } from 'zx';
import { cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceTypeProfile } from '../device-types.ts';
import { cacheDir, fileExists, hashInputs } from '../lib/cache.ts';
import { selectedEngine } from '../lib/engine.ts';
import { download, extract, resolveWithDependencies } from '../lib/debian-packages.ts';
import { linkBusyboxApplets } from '../lib/rootfs.ts';
import { cachedLayer, platformOf, type ContainerImage } from './container-images.ts';

/** The secondary updater's interface version: the tag's `v<N>` (upgrade-1.x.sh pulls `resin/resinhup:v<N>-<device type>`). */
export const RESINHUP_VERSION = '1';
const PYTHON = 'python3.11';
/** What resinhup's image installed beside python3 (Debian's names). */
const RESINHUP_TOOLS = [
  'python3-parted',
  'btrfs-progs',
  'dosfstools',
  'jq',
  'kmod',
  'mtools',
  'parted',
  'util-linux',
  'wget',
];

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
  const full = selectedEngine() !== 'lean';
  const wanted = [
    `${PYTHON}-minimal`,
    'e2fsprogs',
    'busybox-static',
    ...(full ? [`lib${PYTHON}-stdlib`, ...RESINHUP_TOOLS] : []),
  ];
  // Note: the lean image drops libssl3: it is only for the _ssl and _hashlib extensions, dropped below.
  const closure = (await resolveWithDependencies(wanted, profile.arch)).filter((p) => full || !p.startsWith('libssl'));
  const debs = await download(closure, profile.arch, cacheDir);
  const [stdlib] = await download([`lib${PYTHON}-stdlib`], profile.arch, cacheDir);
  const hash = await hashInputs(
    [secondaryDir, fileURLToPath(import.meta.url)],
    [profile.arch, debs.map((d) => path.basename(d)), path.basename(stdlib!)],
  );
  return cachedLayer(`resinhup-${full ? 'full-' : ''}${profile.arch}-${hash}`, async (tree, work) => {
    await extract(debs, tree);
    if (!full) {
      await extract([stdlib!], path.join(work, 'stdlib'));
      await cp(path.join(work, 'stdlib/usr/lib', PYTHON, 'json'), path.join(tree, 'usr/lib', PYTHON, 'json'), {
        recursive: true,
      });
      await $`rm -f ${tree}/usr/lib/${PYTHON}/lib-dynload/_ssl.* ${tree}/usr/lib/${PYTHON}/lib-dynload/_hashlib.*`;
    }
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
