// Debian packages from a suite other than the host's (an older release built from an older Debian):
// apt with a private configuration under .cache/apt-suites/<suite>/ (its own sources and lists; the
// host's apt setup is not touched), the .deb files in the same cache as the host suite's.
import { $ } from 'zx';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PromiseCache } from './promise-cache.ts';
import { metapackageTarget } from './debian-packages.ts';

/** The suite the host's apt (and so the base userland) is on. */
export const HOST_SUITE = 'bookworm';

const memo = new PromiseCache<string[]>();

/** apt's options for `suite`: its own sources.list and lists, every architecture the builder uses. */
function aptOptions(dir: string): string[] {
  return [
    `Dir::Etc::SourceList=${path.join(dir, 'sources.list')}`,
    'Dir::Etc::SourceParts=/nonexistent',
    `Dir::State::Lists=${path.join(dir, 'lists')}`,
    `Dir::Cache=${path.join(dir, 'cache')}`,
    'Dir::State::status=/dev/null',
    'APT::Architectures::=armhf',
    'APT::Architectures::=arm64',
    'APT::Sandbox::User=root',
  ].flatMap((o) => ['-o', o]);
}

async function ensureLists(suite: string, dir: string): Promise<void> {
  const lists = path.join(dir, 'lists');
  if (existsSync(lists) && (await readdir(lists)).some((f) => f.endsWith('_Packages'))) return;
  await mkdir(path.join(lists, 'partial'), { recursive: true });
  await mkdir(path.join(dir, 'cache/archives/partial'), { recursive: true });
  await writeFile(
    path.join(dir, 'sources.list'),
    `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian ${suite} main\n`,
  );
  const update = await $`apt-get ${aptOptions(dir)} update`.nothrow();
  if (update.exitCode !== 0)
    throw new Error(
      `Cannot read Debian ${suite}'s package lists (apt-get update with ${path.join(dir, 'sources.list')}): ${update.stderr.trim()}`,
    );
}

/**
 * `compute()`'s answer to `key`, kept in `dir`/answers.json (the suite's lists never change once
 * fetched) while `valid` holds for it.
 */
async function storedAnswer(
  dir: string,
  key: string,
  compute: () => Promise<string[]>,
  valid: (answer: string[]) => boolean = () => true,
): Promise<string[]> {
  const answers = path.join(dir, 'answers.json');
  const read = async () =>
    existsSync(answers) ? (JSON.parse(await readFile(answers, 'utf8')) as Record<string, string[]>) : {};
  const stored = (await read())[key];
  if (stored && valid(stored)) return stored;
  const answer = await compute();
  // Note: read again just before writing: another process may have stored answers meanwhile.
  await writeFile(`${answers}.${process.pid}`, JSON.stringify({ ...(await read()), [key]: answer }, null, 2));
  await rename(`${answers}.${process.pid}`, answers);
  return answer;
}

/**
 * Downloads `packages` (without their dependencies) for `arch` from Debian `suite` into
 * `cacheDir`/debs/<arch>/; returns the .deb paths. The answer is kept on disk while its files are.
 */
export function downloadFromSuite(
  packages: string[],
  arch: string,
  suite: string,
  cacheDir: string,
): Promise<string[]> {
  if (!packages.length) return Promise.resolve([]);
  const key = `${suite}:${arch}:${packages.join(',')}`;
  const dir = path.join(cacheDir, 'apt-suites', suite);
  return memo.get(`${dir}:${key}`, () =>
    storedAnswer(
      dir,
      key,
      () => downloadUncached(packages, arch, suite, dir, cacheDir),
      (debs) => debs.every(existsSync),
    ),
  );
}

async function downloadUncached(
  packages: string[],
  arch: string,
  suite: string,
  dir: string,
  cacheDir: string,
): Promise<string[]> {
  await ensureLists(suite, dir);
  const debDir = path.join(cacheDir, 'debs', arch);
  await mkdir(debDir, { recursive: true });
  const qualified = packages.map((p) => `${p}:${arch}`);
  const uris = await $`apt-get ${aptOptions(dir)} download --print-uris ${qualified}`.nothrow();
  if (uris.exitCode !== 0)
    throw new Error(`Debian ${suite} has no ${qualified.join(', ')} (apt-get download): ${uris.stderr.trim()}`);
  const files = uris.stdout
    .split('\n')
    .map((line) => line.match(/^'[^']+' (\S+\.deb) /)?.[1])
    .filter((f): f is string => Boolean(f));
  const missing = files.filter((f) => !existsSync(path.join(debDir, f)));
  if (missing.length)
    await $({ cwd: debDir })`apt-get ${aptOptions(dir)} download ${missing.map((f) => `${f.split('_')[0]}:${arch}`)}`;
  return files.map((f) => path.join(debDir, f));
}

/** The kernel package a metapackage such as linux-image-armmp points at in Debian `suite`. */
export async function resolveMetapackageInSuite(
  name: string,
  arch: string,
  suite: string,
  cacheDir: string,
): Promise<string> {
  const key = `metapackage:${suite}:${arch}:${name}`;
  const dir = path.join(cacheDir, 'apt-suites', suite);
  const [real] = await memo.get(`${dir}:${key}`, () =>
    storedAnswer(dir, key, async () => {
      await ensureLists(suite, dir);
      const out = await $`apt-cache ${aptOptions(dir)} depends ${name}:${arch}`.nothrow();
      const target = metapackageTarget(out.stdout);
      if (!target)
        throw new Error(
          `Cannot resolve ${name}:${arch} to a kernel package in Debian ${suite} (apt-cache depends with ${path.join(dir, 'sources.list')}): ${out.stderr.trim() || 'no linux-image dependency'}`,
        );
      return [target];
    }),
  );
  return real!;
}
