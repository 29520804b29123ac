// `npx tsx bench/fault-fork.ts BEFORE_DIR AFTER_DIR`: the faults suite's power-cut rows unforked
// (HUPBENCH_FORK_ROWS=0) against forked from phase snapshots, from two recorded results folders (each
// run with HUPBENCH_JSON_REPORT=<dir>/report.json): per row its wall time, status, outcome and where
// it started; the totals and their ratio; and every row whose verdict or outcome differs between the
// two (a finding about the fork, not noise to average away).
import { readFile } from 'node:fs/promises';
import path from 'node:path';

interface Row {
  title: string;
  status: string;
  durationMs: number;
  outcome?: string;
  startedFrom?: string;
}

type Spec = {
  title: string;
  tests: Array<{
    annotations?: Array<{ type: string; description?: string }>;
    results: Array<{ status: string; duration: number; annotations?: Array<{ type: string; description?: string }> }>;
  }>;
};
type Suite = { specs?: Spec[]; suites?: Suite[] };

async function rows(dir: string): Promise<Row[]> {
  const json = JSON.parse(await readFile(path.join(dir, 'report.json'), 'utf8')) as { suites: Suite[] };
  const out: Row[] = [];
  const walk = (suite: Suite) => {
    for (const spec of suite.specs ?? []) {
      if (!spec.title.startsWith('power cut:')) continue;
      for (const t of spec.tests) {
        const last = t.results.at(-1);
        if (!last) continue;
        const notes = [...(t.annotations ?? []), ...(last.annotations ?? [])];
        const note = (type: string) => notes.findLast((a) => a.type === type)?.description;
        out.push({
          title: spec.title,
          status: last.status,
          durationMs: last.duration,
          outcome: note('outcome'),
          startedFrom: note('started-from'),
        });
      }
    }
    for (const child of suite.suites ?? []) walk(child);
  };
  for (const suite of json.suites) walk(suite);
  return out;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const [beforeDir, afterDir] = process.argv.slice(2);
  if (!beforeDir || !afterDir) {
    console.error('usage: npx tsx bench/fault-fork.ts BEFORE_DIR AFTER_DIR (results folders with report.json)');
    process.exitCode = 2;
    return;
  }
  const before = await rows(beforeDir);
  const after = await rows(afterDir);
  console.log(`before (unforked): ${beforeDir}\nafter (forked):    ${afterDir}\n`);
  console.log('| row | before | after | after ÷ before | before outcome | after outcome | after started from |');
  console.log('|---|---|---|---|---|---|---|');
  const differ: string[] = [];
  for (const b of before) {
    const a = after.find((r) => r.title === b.title);
    if (!a) {
      console.log(`| ${b.title} | ${s(b.durationMs)} ${b.status} | — | — | ${b.outcome ?? '-'} | — | — |`);
      continue;
    }
    const ratio = (a.durationMs / b.durationMs).toFixed(2);
    console.log(
      `| ${b.title} | ${s(b.durationMs)} ${b.status} | ${s(a.durationMs)} ${a.status} | ${ratio}× | ${b.outcome ?? '-'} | ${a.outcome ?? '-'} | ${a.startedFrom ?? '-'} |`,
    );
    const kind = (o?: string) => o?.split(' ')[0];
    if (a.status !== b.status || kind(a.outcome) !== kind(b.outcome))
      differ.push(`${b.title}: ${b.status} ${b.outcome ?? ''} unforked, ${a.status} ${a.outcome ?? ''} forked`);
  }
  const common = before.filter((b) => after.some((a) => a.title === b.title));
  const total = (list: Row[]) => list.reduce((sum, r) => sum + r.durationMs, 0);
  const tb = total(common);
  const ta = total(after.filter((a) => common.some((b) => b.title === a.title)));
  console.log(`\n${common.length} rows: before ${s(tb)}, after ${s(ta)} (${(ta / tb).toFixed(2)}×)`);
  const recordedBy = after.filter((a) => a.startedFrom?.includes('recorded by this row'));
  if (recordedBy.length)
    console.log(`the recording of the phase snapshots rode on: ${recordedBy.map((r) => r.title).join('; ')}`);
  console.log(differ.length ? `\nrows whose verdict differs:\n${differ.join('\n')}` : '\nevery row: the same verdict');
}

await main();
