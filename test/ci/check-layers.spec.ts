// The layer check (.ci/check-layers.ts, run by `npm run lint`) catches what it promises: run on a small
// tree with one violation of each kind, it names each one with its file, line and rule and exits 1;
// on the same tree without them it passes. So the check cannot silently pass on everything.
import { expect, test } from '@playwright/test';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseImports } from '../../.ci/check-layers.ts';

const root = path.resolve(import.meta.dirname, '../..');

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'check-layers-'));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

function runCheck(dir: string): Promise<{ code: number; text: string }> {
  return new Promise((resolve) => {
    execFile(
      path.join(root, 'node_modules/.bin/tsx'),
      [path.join(root, '.ci/check-layers.ts'), dir],
      { cwd: root, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, text: `${stdout}${stderr}` });
      },
    );
  });
}

const cleanTree = {
  'harness/fixtures.ts': "import { test } from '@playwright/test';\nexport { test };\n",
  'harness/index.ts': "export { test } from './fixtures.ts';\n",
  'harness/device/device.ts': "import { sleep } from '../wait.ts';\nexport const device = sleep;\n",
  'harness/updater/runner.ts': "import { device } from '../device/device.ts';\nexport const run = device;\n",
  'harness/wait.ts': 'export const sleep = 1;\n',
};

test('a tree whose layers point down passes', async () => {
  const dir = await tree(cleanTree);
  try {
    const out = await runCheck(dir);
    expect(out.code, out.text).toBe(0);
    expect(out.text).toContain('[layers] no violations');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('each kind of violation is caught with its file, line and rule, and the check exits 1', async () => {
  const dir = await tree({
    ...cleanTree,
    // device → updater: a back-edge, and with updater → device a cycle between the two folders.
    'harness/device/device.ts':
      "import { sleep } from '../wait.ts';\nimport type { run } from '../updater/runner.ts';\n",
    // A harness module that takes Playwright's test object, over several lines.
    'harness/registry/publish.ts': "// note\nimport {\n  expect,\n  test,\n} from '../fixtures.ts';\n",
    'bench/boot.ts': "import { expect } from '@playwright/test/reporter';\n",
    'images/build.ts': 'export const x = 1;\n'.repeat(301),
  });
  try {
    const out = await runCheck(dir);
    expect(out.code, out.text).toBe(1);
    expect(out.text).toContain('harness/device/device.ts:2 imports harness/updater/runner.ts — device-below-updater:');
    expect(out.text).toMatch(
      /harness\/device\/device\.ts:2 .* no-folder-cycles: .*\(cycle device → updater → device\)/,
    );
    expect(out.text).toContain(
      'harness/registry/publish.ts:2 imports harness/fixtures.ts — fixtures-only-through-index:',
    );
    expect(out.text).toContain('bench/boot.ts:1 imports @playwright/test/reporter — playwright-only-in-adapters:');
    expect(out.text).toContain('images/build.ts:301 has 301 lines (limit 300) — module-size:');
    expect(out.text).toMatch(/\[layers\] 6 violation\(s\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('imports are read in every form the tree writes them, and not from comments', () => {
  const source = [
    "import type { A } from './a.ts';",
    "import B, { c } from '../b.ts';",
    "import * as d from 'node:path';",
    "import './side-effect.ts';",
    "export { e } from './e.ts';",
    "export * from './f.ts';",
    "const g = await import('./g.ts');",
    "type H = typeof import('./h.ts');",
    "// import { no } from './comment.ts';",
    " * import('./doc-comment.ts')",
    'export const i = 1;',
  ].join('\n');
  const targets = parseImports('harness/x/y.ts', source).map((i) => `${i.line} ${i.target}`);
  expect(targets).toEqual([
    '1 harness/x/a.ts',
    '2 harness/b.ts',
    '3 node:path',
    '4 harness/x/side-effect.ts',
    '5 harness/x/e.ts',
    '6 harness/x/f.ts',
    '7 harness/x/g.ts',
    '8 harness/x/h.ts',
  ]);
});
