// Fetches Debian packages for a foreign architecture and unpacks them, without chroot or root tricks:
// `apt-get download` + `dpkg-deb -x`. Downloads are cached under .cache/debs/<arch>/.
import { $ } from 'zx';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { aptAnswer } from './apt-answers.ts';
import { PromiseCache } from './promise-cache.ts';
import path from 'node:path';

$.verbose = false;

// Note: apt answers the same questions for every image of a run; ask it once per process.
const memo = new PromiseCache<string[]>();
const once = (key: string, compute: () => Promise<string[]>) => memo.get(key, compute);

/** Resolves `packages` and everything they (pre-)depend on, for `arch` only. */
export function resolveWithDependencies(packages: string[], arch: string): Promise<string[]> {
  const question = `deps:${arch}:${packages.join(',')}`;
  return once(question, () => aptAnswer(question, () => resolveUncached(packages, arch)));
}

async function resolveUncached(packages: string[], arch: string): Promise<string[]> {
  const qualified = packages.map((p) => `${p}:${arch}`);
  const out =
    await $`apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances ${qualified}`;
  const names = out.stdout.split('\n').filter((line) => line && !line.startsWith(' ') && line.endsWith(`:${arch}`));
  return [...new Set(names)].sort();
}

/** Downloads the named packages (already arch-qualified or not) into the cache; returns .deb paths. */
export function download(packages: string[], arch: string, cacheDir: string): Promise<string[]> {
  const question = `download:${arch}:${cacheDir}:${packages.join(',')}`;
  // A stored answer holds while every .deb it names is still in the cache.
  return once(question, () =>
    aptAnswer(
      question,
      () => downloadUncached(packages, arch, cacheDir),
      (debs) => debs.every(existsSync),
    ),
  );
}

async function downloadUncached(packages: string[], arch: string, cacheDir: string): Promise<string[]> {
  const dir = path.join(cacheDir, 'debs', arch);
  await mkdir(dir, { recursive: true });
  const qualified = packages.map((p) => (p.includes(':') ? p : `${p}:${arch}`));
  // Note: apt-get download skips nothing by itself; ask apt for the exact file names first so a cached
  // .deb is reused and a new point release of a package is fetched.
  const uris = await $`apt-get download --print-uris ${qualified}`;
  const wanted = uris.stdout
    .split('\n')
    .map((line) => line.match(/^'[^']+' (\S+\.deb) /)?.[1])
    .filter((f): f is string => Boolean(f));
  const have = new Set(await readdir(dir));
  // Note: an architecture-independent package (`node-lodash:all`) is fetched as `all`.
  const missing = wanted
    .filter((f) => !have.has(f))
    .map((f) => `${f.split('_')[0]}:${f.endsWith('_all.deb') ? 'all' : arch}`);
  if (missing.length) await $({ cwd: dir })`apt-get -o APT::Sandbox::User=root download ${missing}`;
  return wanted.map((f) => path.join(dir, f));
}

export async function extract(debs: string[], into: string): Promise<void> {
  await mkdir(into, { recursive: true });
  for (const deb of debs) await $`dpkg-deb -x ${deb} ${into}`;
}

/** The real package a metapackage such as linux-image-armmp points at. */
export async function resolveMetapackage(name: string, arch: string): Promise<string> {
  const [real] = await once(`metapackage:${name}:${arch}`, () =>
    aptAnswer(`metapackage:${name}:${arch}`, async () => [await resolveMetapackageUncached(name, arch)]),
  );
  return real!;
}

async function resolveMetapackageUncached(name: string, arch: string): Promise<string> {
  const out = await $`apt-cache depends ${name}:${arch}`;
  const dep = out.stdout.match(/Depends: (linux-image-[^\s:]+)/)?.[1];
  if (!dep)
    throw new Error(
      `Cannot resolve ${name}:${arch} to a kernel package (apt-cache depends gave none). Run apt-get update with ${arch} enabled.`,
    );
  return dep;
}

/**
 * dpkg's status database for packages unpacked with `dpkg-deb -x` (which keeps none): what the
 * image ships and at which versions, readable from the hostOS image as from any Debian root
 * (`hupbench diff` compares releases by it).
 */
export async function writeDpkgStatus(debs: string[], tree: string): Promise<void> {
  const fields = ['Package', 'Version', 'Architecture', 'Installed-Size', 'Source'];
  const stanzas: string[] = [];
  for (const deb of debs) {
    const out = await $`dpkg-deb -f ${deb} ${fields}`;
    stanzas.push(out.stdout.trim().replace(/^(Package: .*)$/m, '$1\nStatus: install ok installed'));
  }
  stanzas.sort();
  await mkdir(path.join(tree, 'var/lib/dpkg'), { recursive: true });
  await writeFile(path.join(tree, 'var/lib/dpkg/status'), `${stanzas.join('\n\n')}\n`);
}
