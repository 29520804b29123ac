// apt's answers (what a package depends on, which .deb files a download names) are the same for as
// long as apt's package lists are: kept on disk, keyed by the lists' names, sizes and times, so a
// new process (every Playwright worker, every benchmark run) does not ask apt-cache again (15–20 s).
// An `apt-get update` that changes any list makes every answer stale.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from './cache.ts';

const listsDir = '/var/lib/apt/lists';
let listsKey: Promise<string> | undefined;

/** The state of apt's package lists: one hash of every list's name, size and modification time. */
function aptListsKey(): Promise<string> {
  listsKey ??= (async () => {
    const hash = createHash('sha256');
    const names = existsSync(listsDir) ? (await readdir(listsDir)).sort() : [];
    for (const name of names) {
      const s = await stat(path.join(listsDir, name)).catch(() => undefined);
      if (s?.isFile()) hash.update(`${name} ${s.size} ${s.mtimeMs}\n`);
    }
    return hash.digest('hex').slice(0, 16);
  })();
  return listsKey;
}

/**
 * `compute()`'s answer to `question`, from the disk when apt's lists have not changed since it was
 * asked. `valid` rejects a stored answer that no longer holds (e.g. a .deb that was deleted).
 */
export async function aptAnswer(
  question: string,
  compute: () => Promise<string[]>,
  valid: (answer: string[]) => boolean = () => true,
  store = path.join(cacheDir, 'apt-answers'),
): Promise<string[]> {
  const key = createHash('sha256')
    .update(`${await aptListsKey()}\n${question}`)
    .digest('hex')
    .slice(0, 24);
  const file = path.join(store, `${key}.json`);
  const stored = await readFile(file, 'utf8').then(
    (text) => JSON.parse(text) as string[],
    () => undefined,
  );
  if (stored && valid(stored)) return stored;
  const answer = await compute();
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.${process.pid}`, JSON.stringify(answer));
  await rename(`${file}.${process.pid}`, file);
  return answer;
}
