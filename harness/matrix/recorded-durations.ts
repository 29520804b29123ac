// The committed record of how long each test takes on its rig (bench/test-durations.json, written by
// `hupbench merge --record-durations` and `npm run bench:matrix-estimate -- --save`): what shards are
// balanced by and what decides which rig a run starts first.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../project-root.ts';

export const durationsFile = path.join(projectRoot, 'bench/test-durations.json');

/** Recorded durations (ms) by test key `[rig] › file › title`; empty when none are recorded yet. */
export function recordedDurations(file = durationsFile): Record<string, number> {
  return existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { durationsMs: Record<string, number> }).durationsMs
    : {};
}
