// One folder per run: results/<ISO timestamp>[-<what>]/ holding junit.xml, allure-results/,
// artifacts/, summary.json/.md and the built allure-report/; results/latest points at the newest.
import { existsSync, lstatSync, mkdirSync, readlinkSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../project-root.ts';

export const resultsRoot = path.join(projectRoot, 'results');

/** `2026-11-26T21-40-05Z`: sortable, no colons (they upset some CI artifact stores). */
export function runStamp(date = new Date()): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

let warned = false;

/** Creates results/<stamp>[-<label>] and points results/latest at it. */
export function newResultsFolder(label?: string, date = new Date()): string {
  const safe = label?.replace(/[^\w.+-]+/g, '-').replace(/^-|-$/g, '');
  const dir = path.join(resultsRoot, safe ? `${runStamp(date)}-${safe}` : runStamp(date));
  mkdirSync(dir, { recursive: true });
  if (!pointLatestAt(dir) && !warned) {
    warned = true;
    console.warn(
      `[results] ${path.relative(process.cwd(), dir)}; results/latest is a directory from an older run, so it does not point here (move it away to get the link).`,
    );
  }
  return dir;
}

/**
 * results/latest → dir. Best effort: a real directory named latest (left by a run that predates
 * timestamped folders, or still written by one) is left alone and the link is not made.
 */
export function pointLatestAt(dir: string): boolean {
  const latest = path.join(resultsRoot, 'latest');
  let stat: ReturnType<typeof lstatSync> | undefined;
  try {
    stat = lstatSync(latest);
  } catch {
    stat = undefined;
  }
  if (stat && !stat.isSymbolicLink()) return false;
  const target = path.relative(resultsRoot, dir);
  if (stat && readlinkSync(latest) === target) return true;
  // Note: replace atomically, so a reader never sees no `latest`.
  const tmp = `${latest}.${process.pid}`;
  if (existsSync(tmp)) unlinkSync(tmp);
  symlinkSync(target, tmp);
  renameSync(tmp, latest);
  return true;
}
