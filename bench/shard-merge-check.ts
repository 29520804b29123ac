// Does a run spread over shards, merged by `hupbench merge`, say what one unsharded run says?
//   npm run bench:shard-merge [-- --rig R] [-- --grep RE] [-- --shards N]
//   npm run bench:shard-merge -- --reuse <unsharded folder> <merged folder>   (compare only)
// Runs the subset once unsharded and as N shards one after another (one worker, one board at a
// time), merges the shards, then prints both runs normalised — counts, the closing line and exit
// code, summary.json rows, summary.md, each per-rig table, the JUnit suites and cases — and their diff.
// Timings differ between two runs and are normalised away (durations, timestamps, measured cells of
// the tables, seconds in annotations); everything else must be equal: the last line is PASS or FAIL.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectRoot } from '../harness/project-root.ts';
import type { RunSummary } from '../harness/report/run-summary.ts';
import { option } from './argv.ts';

/** Quick but real: the rig's boot tests, two refusals of upgrade-2.x.sh and one 2.x → 2.x path. */
const defaultGrep =
  'boots from resin-rootA|follows resin_root_part|upgrade-2\\.x\\.sh refuses: (downgrade|update lock held)|2\\.x → 2\\.x: 2\\.9\\.7\\+rev1 → 2\\.12\\.3\\+rev1';

interface Ran {
  dir: string;
  code: number;
  lastLine: string;
  wallS: number;
}

/** `node bin/hupbench.js …`, its output teed into a log; the results folder is read from what it prints. */
function hupbench(args: string[], log: string): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(projectRoot, 'bin/hupbench.js'), ...args], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const take = (d: Buffer) => {
      out += d;
      process.stdout.write(d);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => {
      writeFileSync(log, out);
      const dir = /results in (\S+)|blob reports from \d+ folders into (\S+)/.exec(out);
      if (!dir) return reject(new Error(`hupbench ${args.join(' ')} named no results folder; see ${log}`));
      const lines = out.trim().split('\n');
      resolve({
        dir: (dir[1] ?? dir[2])!,
        code: code ?? 1,
        lastLine: lines.at(-1) ?? '',
        wallS: Math.round((Date.now() - started) / 1000),
      });
    });
  });
}

/** The counts line a finished run ends with (the CLI's last line, or summary.md's for a reused folder). */
const closingLine = (dir: string, ran?: Ran) =>
  ran?.lastLine ?? readFileSync(path.join(dir, 'summary.md'), 'utf8').trim().split('\n').at(-1) ?? '';

const rel = (file: string) => path.relative(projectRoot, file);
/** A table cell that is only a measurement (`213 s`, `17.00`, `20 (resumed)`, `1.25`): timings differ between runs. */
const measured = (cell: string) =>
  /^\s*-?[\d.]+( s| ms| MiB)?( \(resumed\))?\s*$/.test(cell) || /^\s*[\w-]+ \d+ s\s*$/.test(cell) ? ' # ' : cell;
/** Seconds inside prose (`heartbeat gap 162s`, a downtime annotation): measured too. */
const seconds = (text: string) => text.replace(/\d+(\.\d+)?s\b/g, '#s');
const normaliseTable = (md: string) =>
  md.split('\n').map((l) => (l.startsWith('|') && !/^\|[-:| ]+\|$/.test(l) ? l.split('|').map(measured).join('|') : l));

function summaryText(dir: string, ran?: Ran): string[] {
  const s = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
  const lines = [
    `counts: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped, ${s.flaky} flaky`,
    `closing line: ${closingLine(dir, ran)}`,
    ...(ran ? [`exit code: ${ran.code}`] : []),
    '',
    '## summary.json rows',
  ];
  for (const r of s.rows) {
    const { durationMs: _d, receivedMiB, sentMiB: _s, file, ...rest } = r;
    lines.push(
      JSON.stringify({ ...rest, file: rel(file), bandwidth: receivedMiB === undefined ? 'none' : 'recorded' }),
    );
  }
  lines.push('', '## summary.md', ...normaliseTable(readFileSync(path.join(dir, 'summary.md'), 'utf8')));
  for (const f of readdirSync(dir)
    .filter((f) => /^(bandwidth|timings|data-limits|guarantee-table)-.*\.md$/.test(f))
    .sort())
    lines.push('', `## ${f}`, ...normaliseTable(readFileSync(path.join(dir, f), 'utf8')));
  return lines;
}

const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1] ?? '';

/** The JUnit as its consumers read it: suites with their counts, cases with their outcome and properties. */
function junitText(dir: string): string[] {
  const xml = readFileSync(path.join(dir, 'junit.xml'), 'utf8');
  const root = /<testsuites[^>]*>/.exec(xml)?.[0] ?? '';
  const counts = (tag: string) =>
    ['tests', 'failures', 'skipped', 'errors'].map((a) => `${a}=${attr(tag, a)}`).join(' ');
  const lines = ['## junit.xml', `testsuites ${counts(root)}`];
  for (const suite of xml.matchAll(/(<testsuite\s[^>]*>)([\s\S]*?)<\/testsuite>/g)) {
    lines.push(`testsuite ${attr(suite[1]!, 'name')} hostname=${attr(suite[1]!, 'hostname')} ${counts(suite[1]!)}`);
    for (const c of suite[2]!.matchAll(/<testcase\s[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
      const body = c[2] ?? '';
      const outcome = /<failure[\s>]/.test(body)
        ? `failure ${attr(/<failure[^>]*>/.exec(body)![0], 'message')}`
        : /<error[\s>]/.test(body)
          ? 'error'
          : /<skipped/.test(body)
            ? 'skipped'
            : 'passed';
      lines.push(`  testcase ${attr(c[0], 'classname')} › ${attr(c[0], 'name')}: ${outcome}`);
      for (const p of body.matchAll(/<property\s[^>]*>/g))
        lines.push(`    property ${attr(p[0], 'name')}=${seconds(attr(p[0], 'value'))}`);
      // Note: merge-reports keeps an attachment's file but names it by its hash (blob-in/resources/<sha1>.md).
      const attached = [...body.matchAll(/\[\[ATTACHMENT\|([^\]]+)\]\]/g)].map((a) => `*${path.extname(a[1]!)}`);
      if (attached.length) lines.push(`    attachments ${attached.sort().join(', ')}`);
    }
  }
  return lines;
}

/** `diff -u` of the two normalised texts; empty when they are equal. */
async function diff(a: string[], b: string[]): Promise<string> {
  const tmp = await mkdtemp(path.join(tmpdir(), 'shard-merge-'));
  const [fa, fb] = [path.join(tmp, 'unsharded.txt'), path.join(tmp, 'merged.txt')];
  writeFileSync(fa, `${a.join('\n')}\n`);
  writeFileSync(fb, `${b.join('\n')}\n`);
  return new Promise((resolve) => {
    const child = spawn('diff', ['-u', fa, fb], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.on('close', () => resolve(out));
  });
}

async function runAll(rig: string, grep: string, shards: number): Promise<{ unsharded: Ran; merged: Ran }> {
  const logs = await mkdtemp(path.join(tmpdir(), 'shard-merge-logs-'));
  const base = ['nightly', '--rig', rig, '--grep', grep, '--workers', '1', '--no-report'];
  const unsharded = await hupbench(base, path.join(logs, 'unsharded.log'));
  const parts: Ran[] = [];
  for (let i = 1; i <= shards; i++)
    parts.push(await hupbench([...base, '--shard', `${i}/${shards}`], path.join(logs, `shard-${i}.log`)));
  const merged = await hupbench(['merge', '--no-report', ...parts.map((p) => p.dir)], path.join(logs, 'merge.log'));
  console.log(`\nWall times (logs in ${logs}):`);
  console.log(`  unsharded: ${unsharded.wallS} s (exit ${unsharded.code}) ${rel(unsharded.dir)}`);
  for (const [i, p] of parts.entries())
    console.log(`  shard ${i + 1}/${shards}: ${p.wallS} s (exit ${p.code}) ${rel(p.dir)}`);
  console.log(`  merge: ${merged.wallS} s (exit ${merged.code}) ${rel(merged.dir)}`);
  return { unsharded, merged };
}

async function main(): Promise<number> {
  const reuse = process.argv.indexOf('--reuse');
  let unshardedDir: string;
  let mergedDir: string;
  let runs: { unsharded?: Ran; merged?: Ran } = {};
  if (reuse > 0) {
    [unshardedDir, mergedDir] = process.argv.slice(reuse + 1, reuse + 3) as [string, string];
    for (const d of [unshardedDir, mergedDir])
      if (!d || !existsSync(path.join(d, 'summary.json'))) throw new Error(`--reuse needs two run folders, got ${d}`);
  } else {
    const shards = Number(option('--shards') ?? 3);
    runs = await runAll(option('--rig') ?? 'qemu-beaglebone-black', option('--grep') ?? defaultGrep, shards);
    unshardedDir = runs.unsharded!.dir;
    mergedDir = runs.merged!.dir;
  }
  const text = (dir: string, ran?: Ran) => [...summaryText(dir, ran), '', ...junitText(dir)];
  const a = text(unshardedDir, runs.unsharded);
  const b = text(mergedDir, runs.merged);
  console.log(`\nNormalised unsharded run (${rel(unshardedDir)}):\n${a.join('\n')}`);
  const d = await diff(a, b);
  console.log(`\nDiff, unsharded → merged (${rel(mergedDir)}):\n${d || '(none)'}`);
  console.log(
    d ? 'FAIL: the merged shards differ from the unsharded run' : 'PASS: the merged shards equal the unsharded run',
  );
  return d ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.message);
    process.exit(2);
  },
);
