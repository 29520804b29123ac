// The import and size rules that keep hupbench's layers pointing down, checked over the source tree:
//   npx tsx .ci/check-layers.ts [root]     (root defaults to the repository; `npm run lint` runs it)
// Each violation prints as `file:line imports X — rule: reason`; any violation exits 1.
// Note: TypeScript 7 (the Go port) has no JS API, so imports are read with regexes over the
// statement forms Biome formats them into: `import … from '…'`, `import '…'`, `export … from '…'`,
// and `import('…')` (dynamic, or in a type position). Type-only imports count: a type import that
// points up still ties the lower layer to the upper one.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Modules matching `from` (and none of `except`) must not import a module or package matching `to`. */
export interface ImportRule {
  name: string;
  reason: string;
  from: string[];
  except?: string[];
  /** Repository paths (globs) or package names (a package also matches its subpaths). */
  to: string[];
}

export interface SizeRule {
  name: string;
  reason: string;
  files: string[];
  except?: string[];
  maxLines: number;
}

/** The Playwright adapters: the only harness modules that may know about the test runner. */
const playwrightAdapters = [
  'harness/fixtures.ts', // the `test` object: rig, device and registry fixtures
  'harness/device/matchers.ts', // expect.extend: the device matchers
  'harness/report/**', // reporters, the evidence they attach (TestInfo), the merge config, the retry policy
];
/** Suite-side helpers: harness modules that hold a suite's test.step/expect code shared by several suites. */
// Note: harness/assertions/ holds them (e.g. expectRefusal, which the three sanity suites share): suite
// code that asserts with Playwright's expect, kept out of the scenarios so `hupbench run` can use those.
const suiteHelpers = ['harness/assertions/**'];

export const importRules: ImportRule[] = [
  {
    name: 'fixtures-only-through-index',
    reason:
      'harness/fixtures.ts is the Playwright test object; a harness module importing it makes a layer point up ' +
      'to the test runner (suites reach it through harness/index.ts)',
    from: ['harness/**'],
    except: ['harness/index.ts', 'harness/fixtures.ts'],
    to: ['harness/fixtures.ts'],
  },
  {
    name: 'playwright-only-in-adapters',
    reason:
      `@playwright/test belongs to the Playwright adapters (${playwrightAdapters.join(', ')}) and the ` +
      `suite-side helpers (${suiteHelpers.join(', ')}); the rest of the harness must run without the test runner`,
    from: ['harness/**', 'images/**', 'bench/**', '.ci/**'],
    except: [...playwrightAdapters, ...suiteHelpers],
    to: ['@playwright/test'],
  },
  {
    name: 'device-below-updater',
    reason:
      'a device is what an updater runs on: device helpers must not know the updater (device → updater is a back-edge)',
    from: ['harness/device/**'],
    to: ['harness/updater/**'],
  },
  {
    name: 'registry-below-updater',
    reason: 'the registry serves releases to any client; it must not depend on how an updater is driven',
    from: ['harness/registry/**'],
    to: ['harness/updater/**'],
  },
  {
    name: 'updater-not-fixtures',
    reason: 'the updater layer is used by the CLI as well as the suites; it must not depend on Playwright fixtures',
    from: ['harness/updater/**'],
    to: ['harness/fixtures.ts'],
  },
];

export const folderCycleRule = {
  name: 'no-folder-cycles',
  reason: 'the harness sub-folders form layers: an import between two of them must not be answered by one back',
  scope: 'harness',
};

export const sizeRules: SizeRule[] = [
  {
    name: 'module-size',
    reason: 'one concept per module: split a module over 300 lines along a concept',
    files: ['harness/**', 'images/**', 'bench/**', '.ci/**'],
    maxLines: 300,
  },
  {
    name: 'test-size',
    reason: 'test files list cases and may be longer, but a test file over 500 lines holds more than one subject',
    files: ['test/**', 'suites/**'],
    maxLines: 500,
  },
];

export interface ImportLine {
  file: string;
  line: number;
  /** As written. */
  specifier: string;
  /** A repository path for a relative import, else the specifier. */
  target: string;
}

export interface Violation {
  file: string;
  line: number;
  rule: string;
  message: string;
}

const scannedFolders = ['harness', 'images', 'bench', '.ci', 'test', 'suites'];
const clause = String.raw`(?:type\s+)?(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*\s+as\s+[\w$]+|[\w$]+)`;
const statementPatterns = [
  new RegExp(String.raw`^[ \t]*import\s+(?:${clause}\s+from\s+)?['"]([^'"\n]+)['"]`, 'gm'),
  /^[ \t]*export\s+(?:type\s+)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?)\s+from\s+['"]([^'"\n]+)['"]/gm,
  /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g,
];

/** The imports of one file's source, with the line each statement starts on. */
export function parseImports(file: string, source: string): ImportLine[] {
  const found: ImportLine[] = [];
  for (const pattern of statementPatterns) {
    for (const match of source.matchAll(pattern)) {
      const start = (match.index ?? 0) + (match[0].length - match[0].trimStart().length);
      const lineStart = source.lastIndexOf('\n', start) + 1;
      if (/^\s*(\/\/|\*|\/\*)/.test(source.slice(lineStart, start))) continue; // in a comment
      const specifier = match[1];
      const line = source.slice(0, start).split('\n').length;
      found.push({ file, line, specifier, target: resolveTarget(file, specifier) });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

function resolveTarget(file: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  return path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
}

/** `**` is any path, `*` any name within one folder. */
export function matchesGlob(file: string, glob: string): boolean {
  const pattern = glob
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${pattern}$`).test(file);
}

const matchesAny = (file: string, globs: string[] = []) => globs.some((g) => matchesGlob(file, g));
const isPackage = (target: string, name: string) => target === name || target.startsWith(`${name}/`);
const targetMatches = (target: string, to: string) =>
  to.startsWith('@') || !to.includes('/') ? isPackage(target, to) : matchesGlob(target, to);

export function checkImportRules(imports: ImportLine[], rules: ImportRule[] = importRules): Violation[] {
  const out: Violation[] = [];
  for (const rule of rules) {
    for (const imp of imports) {
      if (!matchesAny(imp.file, rule.from) || matchesAny(imp.file, rule.except)) continue;
      if (!rule.to.some((to) => targetMatches(imp.target, to))) continue;
      out.push({
        file: imp.file,
        line: imp.line,
        rule: rule.name,
        message: `imports ${imp.target} — ${rule.name}: ${rule.reason}`,
      });
    }
  }
  return out;
}

/** `harness/device/boot.ts` → `device`. Note: files directly in harness/ (fixtures.ts, index.ts, errors.ts…)
 * are not nodes: the adapters on top and the leaves at the bottom are ruled by the import rules above. */
function folderOf(file: string, scope: string): string | undefined {
  if (!file.startsWith(`${scope}/`)) return undefined;
  const parts = file.slice(scope.length + 1).split('/');
  return parts.length > 1 ? parts[0] : undefined;
}

/** Every import between two sub-folders that a chain of imports leads back from: each is part of a cycle. */
export function checkFolderCycles(imports: ImportLine[], rule = folderCycleRule): Violation[] {
  const edges = new Map<string, Set<string>>();
  const crossing: { imp: ImportLine; from: string; to: string }[] = [];
  for (const imp of imports) {
    const from = folderOf(imp.file, rule.scope);
    const to = folderOf(imp.target, rule.scope);
    if (!from || !to || from === to) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from)?.add(to);
    crossing.push({ imp, from, to });
  }
  const out: Violation[] = [];
  for (const { imp, from, to } of crossing) {
    const back = pathBetween(edges, to, from);
    if (!back) continue;
    const cycle = [from, ...back].join(' → ');
    const message = `imports ${imp.target} — ${rule.name}: ${rule.reason} (cycle ${cycle})`;
    out.push({ file: imp.file, line: imp.line, rule: rule.name, message });
  }
  return out;
}

/** The shortest chain of folders from `start` to `goal`, or undefined. */
function pathBetween(edges: Map<string, Set<string>>, start: string, goal: string): string[] | undefined {
  const previous = new Map<string, string | undefined>([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() as string;
    if (node === goal) {
      const chain = [node];
      for (let p = previous.get(node); p !== undefined; p = previous.get(p)) chain.unshift(p);
      return chain;
    }
    for (const next of edges.get(node) ?? []) {
      if (previous.has(next)) continue;
      previous.set(next, node);
      queue.push(next);
    }
  }
  return undefined;
}

export function checkSizes(files: Map<string, string>, rules: SizeRule[] = sizeRules): Violation[] {
  const out: Violation[] = [];
  for (const [file, source] of files) {
    const rule = rules.find((r) => matchesAny(file, r.files) && !matchesAny(file, r.except));
    if (!rule) continue;
    const lines = source.endsWith('\n') ? source.split('\n').length - 1 : source.split('\n').length;
    if (lines <= rule.maxLines) continue;
    const message = `has ${lines} lines (limit ${rule.maxLines}) — ${rule.name}: ${rule.reason}`;
    out.push({ file, line: rule.maxLines + 1, rule: rule.name, message });
  }
  return out;
}

/** The .ts files of the scanned folders and the root, as repository paths. */
export function sourceFiles(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(rel);
      else if (entry.isFile() && entry.name.endsWith('.ts')) files.set(rel, readFileSync(path.join(root, rel), 'utf8'));
    }
  };
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.isDirectory() && scannedFolders.includes(entry.name)) walk(entry.name);
    else if (entry.isFile() && entry.name.endsWith('.ts'))
      files.set(entry.name, readFileSync(path.join(root, entry.name), 'utf8'));
  }
  return files;
}

export function checkLayers(root: string): Violation[] {
  const files = sourceFiles(root);
  const imports = [...files].flatMap(([file, source]) => parseImports(file, source));
  return [...checkImportRules(imports), ...checkFolderCycles(imports), ...checkSizes(files)].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line,
  );
}

function main(): void {
  const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
  const violations = checkLayers(root);
  for (const v of violations) console.log(`${v.file}:${v.line} ${v.message}`);
  if (violations.length === 0) {
    console.log('[layers] no violations');
    return;
  }
  const byRule = new Map<string, number>();
  for (const v of violations) byRule.set(v.rule, (byRule.get(v.rule) ?? 0) + 1);
  const counts = [...byRule].map(([rule, n]) => `${rule} ${n}`).join(', ');
  console.log(`[layers] ${violations.length} violation(s): ${counts} (rules: .ci/check-layers.ts)`);
  process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
