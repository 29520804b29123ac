// Every shell script the device runs parses as POSIX sh (dash -n; the device's shell is busybox ash):
// a syntax error in one (a stray quote in the engine) fails every command that runs it, on every
// board, and only shows up minutes into a boot.
import { test, expect } from '@playwright/test';
import { $ } from 'zx';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../../harness/project-root.ts';

async function shellScripts(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const head = (await readFile(file)).subarray(0, 12).toString('latin1');
    if (head.startsWith('#!/bin/sh')) found.push(file);
  }
  return found.sort();
}

test('the device shell scripts parse as POSIX sh', async () => {
  const scripts = await shellScripts(path.join(projectRoot, 'images'));
  expect(scripts.length).toBeGreaterThan(20);
  const broken: string[] = [];
  for (const script of scripts) {
    const parsed = await $`dash -n ${script}`.nothrow().quiet();
    if (parsed.exitCode !== 0) broken.push(`${path.relative(projectRoot, script)}: ${parsed.stderr.trim()}`);
  }
  expect(broken).toEqual([]);
});
