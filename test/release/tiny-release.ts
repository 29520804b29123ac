// Small but real release artifacts for the harness's own tests: image layers made with tar and gzip
// from a few files, packed as OCI archives by the reference provider's writer, a legacy `docker save`
// archive made with tar, a tiny raw card, and a release.yaml naming them.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { $ } from 'zx';
import { ensureImageArchive } from '../../harness/release/write-image-archive.ts';

const made: string[] = [];

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hupbench-release-test-'));
  made.push(dir);
  return dir;
}

/** Removes the folders tempDir() made (a test file's afterAll). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A gzip'd tar layer holding `files` (path → text), root-owned. */
export async function layerOf(dir: string, name: string, files: Record<string, string>): Promise<string> {
  const tree = path.join(dir, `${name}.tree`);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(tree, file)), { recursive: true });
    await writeFile(path.join(tree, file), text);
  }
  const out = path.join(dir, `${name}.tar.gz`);
  await $`tar --owner=0 --group=0 --sort=name --mtime=@0 -C ${tree} -cf - . | gzip -n > ${out}`;
  return out;
}

export const osRelease = (version: string, machine: string) =>
  `ID="resin-os"\nVERSION="${version}"\nVERSION_ID="${version.split('+')[0]}"\nMACHINE="${machine}"\n`;

export const dpkgStatus = (packages: Record<string, string>) =>
  Object.entries(packages)
    .map(([p, v]) => `Package: ${p}\nStatus: install ok installed\nArchitecture: armhf\nVersion: ${v}\n`)
    .join('\n');

export async function hostOsArchive(
  dir: string,
  opts: { version: string; machine: string; packages?: Record<string, string>; labelVersion?: string },
): Promise<string> {
  const layer = await layerOf(dir, `hostos-${opts.version}`, {
    'etc/os-release': osRelease(opts.version, opts.machine),
    ...(opts.packages ? { 'var/lib/dpkg/status': dpkgStatus(opts.packages) } : {}),
  });
  return ensureImageArchive(dir, `hostos-${opts.version}`, {
    reference: `resin/resinos:${opts.version.replace('+', '_')}-${opts.machine}`,
    layerFiles: [layer],
    config: {
      architecture: 'arm',
      variant: 'v7',
      os: 'linux',
      config: { Cmd: ['/bin/sh'], Labels: { 'io.resin.os.version': opts.labelVersion ?? opts.version } },
    },
  });
}

/** A legacy `docker save` archive (manifest.json, <config>.json, <layer>/layer.tar.gz) around one layer. */
export async function dockerSaveArchive(dir: string, name: string, layer: string): Promise<string> {
  const tree = path.join(dir, `${name}.save`);
  await mkdir(path.join(tree, 'l1'), { recursive: true });
  await $`cp ${layer} ${path.join(tree, 'l1/layer.tar.gz')}`;
  const config = {
    architecture: 'arm',
    os: 'linux',
    config: { Cmd: ['/usr/bin/supervisor'] },
    rootfs: { type: 'layers' },
  };
  await writeFile(path.join(tree, 'c1.json'), JSON.stringify(config));
  await writeFile(
    path.join(tree, 'manifest.json'),
    JSON.stringify([{ Config: 'c1.json', RepoTags: [`x/${name}:1`], Layers: ['l1/layer.tar.gz'] }]),
  );
  const out = path.join(dir, `${name}.tar`);
  await $`tar -cf ${out} -C ${tree} .`;
  return out;
}

/** A release folder for beaglebone-black with a 4 MiB raw card whose first partition is vfat with two files. */
export async function releaseFolder(
  dir: string,
  opts: {
    version: string;
    osVersion?: string;
    machine?: string;
    bootText?: string;
    packages?: Record<string, string>;
    supervisorText?: string;
  },
): Promise<{ folder: string; hostOS: string; supervisor: string }> {
  const folder = path.join(dir, opts.version);
  await mkdir(folder, { recursive: true });
  const hostOS = await hostOsArchive(folder, {
    version: opts.osVersion ?? opts.version,
    machine: opts.machine ?? 'beaglebone-black',
    packages: opts.packages,
  });
  const supervisor = await dockerSaveArchive(
    folder,
    'supervisor',
    await layerOf(folder, 'sv', { 'etc/supervisor-version': opts.supervisorText ?? '7.16.6\n' }),
  );
  const card = path.join(folder, 'card.img');
  await $`truncate -s 4M ${card}`;
  await $`echo 'start=2048, size=4096, type=c' | sfdisk -q ${card}`;
  const fat = `${card}@@${2048 * 512}`;
  await $`mformat -i ${fat} -T 4096 -h 2 -s 32 ::`;
  await writeFile(path.join(folder, 'boot.txt'), opts.bootText ?? 'boot\n');
  await $`mcopy -i ${fat} ${path.join(folder, 'boot.txt')} ::boot.txt`;
  await $`mcopy -i ${fat} ${path.join(folder, 'boot.txt')} ::config.txt`;
  await writeFile(
    path.join(folder, 'release.yaml'),
    [
      `version: ${opts.version}`,
      'layout: 2.x',
      'supervisor: 7.16.6',
      'deviceTypes:',
      '  beaglebone-black:',
      '    card: card.img',
      `    hostOS: { archive: ${path.basename(hostOS)} }`,
      `    supervisor: { archive: ${path.basename(supervisor)} }`,
      '',
    ].join('\n'),
  );
  return { folder, hostOS, supervisor };
}
