// Debian packages from a suite other than the host's (an older release built from an older Debian):
// apt with a private configuration under .cache/apt-suites/<suite>/ (its own sources and lists; the
// host's apt setup is not touched), the .deb files in the same cache as the host suite's.
import { $ } from 'zx';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PromiseCache } from './promise-cache.ts';

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
  return memo.get(key, async () => {
    const dir = path.join(cacheDir, 'apt-suites', suite);
    const answers = path.join(dir, 'answers.json');
    const stored = existsSync(answers) ? (JSON.parse(await readFile(answers, 'utf8')) as Record<string, string[]>) : {};
    if (stored[key]?.every(existsSync)) return stored[key];
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
    const debs = files.map((f) => path.join(debDir, f));
    const fresh = existsSync(answers) ? (JSON.parse(await readFile(answers, 'utf8')) as Record<string, string[]>) : {};
    await writeFile(`${answers}.${process.pid}`, JSON.stringify({ ...fresh, [key]: debs }, null, 2));
    await rename(`${answers}.${process.pid}`, answers);
    return debs;
  });
}
