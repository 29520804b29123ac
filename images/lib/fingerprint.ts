// The fingerprint manifest of a 1.x root: `/resinos.fingerprint`, one `sha256  /path` line (sha256sum's
// format) per regular file of the root as built. The 1.x root is read-write, so users can change it;
// upgrade-1.x.sh's secondary updater compares the running root against this list and refuses to
// replace a root whose files were modified (unless --force), so local changes are never lost silently.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const FINGERPRINT_FILE = 'resinos.fingerprint';

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function regularFiles(tree: string, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(tree, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await regularFiles(tree, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/** Writes `tree`/resinos.fingerprint for every regular file of `tree` (sorted; not itself). */
export async function writeFingerprint(tree: string): Promise<number> {
  const files = (await regularFiles(tree)).filter((f) => f !== FINGERPRINT_FILE).sort();
  const lines: string[] = [];
  for (const f of files) lines.push(`${await sha256(path.join(tree, f))}  /${f}`);
  await writeFile(path.join(tree, FINGERPRINT_FILE), `${lines.join('\n')}\n`);
  return files.length;
}
