// bench/results.md holds one section per kind of figure, each with the command, commit and machine
// that produced it. A benchmark rewrites only its own section, so figures measured at different times
// (the matrix takes hours) stay side by side.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../harness/project-root.ts';

/** The section titles, in the order the file lists them. */
export const SECTIONS = {
  paths: 'Boot, reset and one path of each class',
  matrix: 'The hil matrix at 1 and at 2 workers',
  estimate: 'The whole hil matrix, estimated from recorded runs',
} as const;
export type Section = keyof typeof SECTIONS;

export async function machine(): Promise<string> {
  const qemu = (await promisify(execFile)('qemu-system-arm', ['--version'])).stdout.split('\n')[0];
  const kernel = (await readFile('/proc/sys/kernel/osrelease', 'utf8')).trim();
  return `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${kernel}, ${qemu}, Node ${process.version}; QEMU in TCG (no KVM for ARM guests)`;
}

/** Replaces one section of the results file (keeping the others), headed by how it was produced. */
export async function writeSection(file: string, section: Section, started: Date, body: string[]): Promise<void> {
  const commit = (
    await promisify(execFile)('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot })
  ).stdout.trim();
  const loadavg = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  const sections = await readSections(file);
  sections.set(
    section,
    [
      `## ${SECTIONS[section]}`,
      '',
      `Written by \`${invocation()}\` at ${started.toISOString()} (commit ${commit}).`,
      '',
      `Machine: ${await machine()}. Load average at the end: ${loadavg}.`,
      '',
      ...body,
      '',
    ].join('\n'),
  );
  const order = Object.keys(SECTIONS) as Section[];
  await writeFile(
    file,
    ['# hupbench benchmark results', '', ...order.flatMap((s) => sections.get(s) ?? [])].join('\n'),
  );
}

/** The command line that ran this benchmark, as it could be typed again. */
function invocation(): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const script = path.relative(projectRoot, process.argv[1] ?? '');
  const event = process.env.npm_lifecycle_event;
  const head = event?.startsWith('bench') ? `npm run ${event} --` : `npx tsx ${script}`;
  return [head, ...process.argv.slice(2).map(quote)].join(' ');
}

/** The sections of an earlier results file, by kind (a missing file has none). */
async function readSections(file: string): Promise<Map<Section, string>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const found = new Map<Section, string>();
  for (const chunk of text.split(/^(?=## )/m).filter((c) => c.startsWith('## '))) {
    const kind = (Object.entries(SECTIONS) as Array<[Section, string]>).find(([, t]) =>
      chunk.startsWith(`## ${t}`),
    )?.[0];
    if (kind) found.set(kind, `${chunk.trimEnd()}\n`);
  }
  return found;
}
