// Content-addressed cache under .cache/: a build is keyed by the hash of everything that went into it.
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../../harness/project-root.ts';
import { selectedEngine } from './engine.ts';

// A moby-engine build keeps a cache of its own (images/lib/engine.ts): its cards, hostOS archives
// and release manifests are never taken for the lean engine's.
export const cacheDir =
  process.env.HUPBENCH_CACHE ??
  path.join(projectRoot, '.cache', ...(selectedEngine() === 'moby' ? ['engine-moby'] : []));

/** Hash of files (recursively for directories) plus any extra values, in a stable order. */
export async function hashInputs(paths: string[], extra: unknown[] = []): Promise<string> {
  const hash = createHash('sha256');
  const files: string[] = [];
  for (const p of paths) files.push(...(await listFiles(p)));
  for (const file of files.sort()) {
    hash.update(path.relative(projectRoot, file));
    hash.update(await readFile(file));
    hash.update(String((await stat(file)).mode & 0o111));
  }
  hash.update(JSON.stringify(extra));
  return hash.digest('hex').slice(0, 16);
}

async function listFiles(p: string): Promise<string[]> {
  const s = await stat(p);
  if (!s.isDirectory()) return [p];
  const out: string[] = [];
  for (const entry of await readdir(p)) out.push(...(await listFiles(path.join(p, entry))));
  return out;
}

export async function fileExists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
