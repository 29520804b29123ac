// Playwright keeps only an error's name (the first line of its stack), so the failure kind of a rig
// error is decided by name: every class that extends InfraError (or one of its subclasses) in the
// harness must be listed in infraErrorNames, or its failures count as product failures. (A lease
// timeout, RigLeaseError, once did.)
import { test, expect } from '@playwright/test';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { failureKind, infraErrorNames } from '../../harness/report/failure-kind.ts';

const harness = path.resolve(import.meta.dirname, '../../harness');
const sources = (readdirSync(harness, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(path.join(harness, f), 'utf8'));

test('every InfraError class is classified as a rig failure by its name', () => {
  const infra = new Set(['InfraError']);
  // Subclasses of subclasses: repeat until nothing new is found.
  for (let grew = true; grew; ) {
    grew = false;
    for (const src of sources) {
      for (const m of src.matchAll(/class (\w+) extends (\w+)/g)) {
        if (infra.has(m[2]!) && !infra.has(m[1]!)) {
          infra.add(m[1]!);
          grew = true;
        }
      }
    }
  }
  expect([...infra].filter((name) => !infraErrorNames.includes(name))).toEqual([]);
  for (const name of infra) expect(failureKind({ stack: `${name}: lost the rig\n    at x` })).toBe('infrastructure');
});
