// `npm run bench:matrix-estimate [-- --results DIR]… [--out F]`: what one `npm run hil` pass costs on
// this host, from the runs already recorded (the summary.json, or a benchmark's report.json, of every
// run folder under each DIR, default results/). Each test of the current matrix (`playwright test --list`) counts with the median
// duration of its recorded passes on its rig; one that never passed there, with its median on the rig
// with the most records times how much slower its rig is; failing that, with the median of its suite
// file on its rig. The table says how many tests each way covers. Written to the estimate section of bench/results.md. The sum is a
// pass at 1 worker without the per-worker start-up; how 2 workers change it is what `npm run bench --
// --matrix` measures on a subset. Recorded runs saw different host loads: this is an estimate.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { rigNames } from '../harness/cli/known.ts';
import { projectRoot } from '../harness/project-root.ts';
import { median } from './stats.ts';
import { writeSection } from './results-file.ts';
import { option, options } from './argv.ts';

const roots = options('--results').length ? options('--results') : [path.join(projectRoot, 'results')];
const out = option('--out') ?? path.join(projectRoot, 'bench', 'results.md');
const started = new Date();

interface MatrixTest {
  rig: string;
  file: string;
  title: string;
}
interface SummaryRow {
  project: string;
  title: string;
  file: string;
  verdict: { result: string };
  durationMs: number;
}

/** Every HIL test of `npm run hil`, as Playwright lists it. */
async function listMatrix(): Promise<MatrixTest[]> {
  const projects = (await rigNames()).map((r) => `--project=${r}`);
  const { stdout } = await promisify(execFile)(
    'npx',
    ['playwright', 'test', '--list', '--reporter=json', ...projects],
    {
      cwd: projectRoot,
      maxBuffer: 64 * 2 ** 20,
      env: { ...process.env, HUPBENCH_RESULTS: path.join(projectRoot, 'results', 'list') },
    },
  );
  type Suite = {
    file?: string;
    specs?: Array<{ title: string; file: string; tests: Array<{ projectName: string }> }>;
    suites?: Suite[];
  };
  const tests: MatrixTest[] = [];
  const walk = (s: Suite) => {
    for (const spec of s.specs ?? [])
      for (const t of spec.tests) tests.push({ rig: t.projectName, file: path.basename(spec.file), title: spec.title });
    s.suites?.forEach(walk);
  };
  (JSON.parse(stdout) as { suites: Suite[] }).suites.forEach(walk);
  return tests;
}

/**
 * The passed durations per rig and test title, from every run folder under the roots: its
 * summary.json, or else the Playwright JSON report a benchmark run leaves (report.json).
 */
async function recordedPasses(): Promise<Map<string, number[]>> {
  const passes = new Map<string, number[]>();
  const add = (project: string, title: string, ms: number) =>
    passes.set(`${project}\t${title}`, [...(passes.get(`${project}\t${title}`) ?? []), ms]);
  const folders = new Set(
    roots.flatMap((root) => [root, ...(existsSync(root) ? readdirSync(root).map((d) => path.join(root, d)) : [])]),
  );
  for (const dir of folders) {
    if (existsSync(path.join(dir, 'summary.json'))) {
      const { rows } = JSON.parse(await readFile(path.join(dir, 'summary.json'), 'utf8')) as { rows?: SummaryRow[] };
      for (const row of rows ?? []) if (row.verdict.result === 'passed') add(row.project, row.title, row.durationMs);
    } else if (existsSync(path.join(dir, 'report.json'))) {
      type Suite = {
        specs?: Array<{
          title: string;
          tests: Array<{ projectName: string; results: Array<{ status: string; duration: number }> }>;
        }>;
        suites?: Suite[];
      };
      const walk = (s: Suite) => {
        for (const spec of s.specs ?? [])
          for (const t of spec.tests) {
            const last = t.results.at(-1);
            if (last?.status === 'passed' && t.results.length === 1) add(t.projectName, spec.title, last.duration);
          }
        s.suites?.forEach(walk);
      };
      (
        (JSON.parse(await readFile(path.join(dir, 'report.json'), 'utf8')) as { suites?: Suite[] }).suites ?? []
      ).forEach(walk);
    }
  }
  return passes;
}

const matrix = (await listMatrix()).filter((t) => t.file.endsWith('.spec.ts'));
const passes = await recordedPasses();
const recorded = (rig: string, title: string) => {
  const p = passes.get(`${rig}\t${title}`);
  return p ? median(p) : undefined;
};
const rigs = [...new Set(matrix.map((t) => t.rig))];
// The rig with the most recorded tests is the yardstick for a test another rig never ran.
const reference = rigs
  .map((rig) => ({ rig, n: matrix.filter((t) => t.rig === rig && recorded(rig, t.title) !== undefined).length }))
  .sort((a, b) => b.n - a.n)[0]!.rig;

/**
 * How much slower a rig is than the reference: the ratio of the summed medians over the tests both
 * have passed (a sum, so that the long tests the estimate is about weigh most; short tests that are
 * mostly boot time would overstate it).
 */
function slowdown(rig: string): { ratio: number; over: number } | undefined {
  const both = matrix
    .filter((t) => t.rig === rig)
    .flatMap((t) => {
      const mine = recorded(rig, t.title);
      const ref = recorded(reference, t.title);
      return mine !== undefined && ref !== undefined ? [[mine, ref] as const] : [];
    });
  if (!both.length) return undefined;
  return { ratio: both.reduce((s, [m]) => s + m, 0) / both.reduce((s, [, r]) => s + r, 0), over: both.length };
}

const minutes = (ms: number) => `${(ms / 60_000).toFixed(0)} min (${(ms / 3_600_000).toFixed(1)} h)`;
const body = [
  `| rig | tests | recorded here | scaled from ${reference} | from their suite | unknown | one pass at 1 worker |`,
  '|---|---|---|---|---|---|---|',
];
let totalMs = 0;
for (const rig of rigs) {
  const tests = matrix.filter((t) => t.rig === rig);
  const scale = rig === reference ? undefined : slowdown(rig);
  const count = { own: 0, scaled: 0, suite: 0, unknown: 0 };
  let ms = 0;
  for (const t of tests) {
    const own = recorded(rig, t.title);
    const ref = scale && recorded(reference, t.title);
    const suite = tests.flatMap((u) =>
      u.file === t.file && recorded(rig, u.title) !== undefined ? [recorded(rig, u.title)!] : [],
    );
    if (own !== undefined) {
      count.own++;
      ms += own;
    } else if (ref !== undefined && scale) {
      count.scaled++;
      ms += ref * scale.ratio;
    } else if (suite.length) {
      count.suite++;
      ms += median(suite);
    } else {
      count.unknown++;
      console.log(`  no record: [${rig}] ${t.file} › ${t.title}`);
    }
  }
  totalMs += ms;
  const factor = scale ? ` (×${scale.ratio.toFixed(2)}: summed over the ${scale.over} tests both ran)` : '';
  body.push(
    `| ${rig} | ${tests.length} | ${count.own} | ${count.scaled}${count.scaled ? factor : ''} | ${count.suite} | ${count.unknown} | ${minutes(ms)}${count.unknown ? ', without the unknown tests' : ''} |`,
  );
  console.log(
    `${rig}: ${tests.length} tests; ${count.own} recorded, ${count.scaled} scaled${factor}, ${count.suite} from their suite, ${count.unknown} unknown: ${minutes(ms)}`,
  );
}
body.push(`| all | ${matrix.length} | | | | | ${minutes(totalMs)} |`);
body.push(
  '',
  `From ${passes.size} tests with recorded passes in ${roots.join(', ')}. A test counts with the median of its passes on the rig; one that never passed on a rig, with its median on ${reference} times how much slower that rig is (the ratio of the summed durations of the tests both ran); failing that, with the median of its suite file on the rig. The runs were recorded at different host loads (often two to four boards at once), so this is an estimate of one pass, not a measurement.`,
);
console.log(`the whole matrix at 1 worker: about ${minutes(totalMs)}`);
await writeSection(out, 'estimate', started, body);
console.log(`written to ${path.relative(projectRoot, out)}`);
