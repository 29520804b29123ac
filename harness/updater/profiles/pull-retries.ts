// Pull retries as an updater's output tells them (its profile's `pullRetry` line): how many tries
// failed and were followed by another, and how long the updater waited between them. The reference
// updaters' defaults are here too, so a fault can outlast (or stay inside) their retry window.
import type { UpdaterContract } from './types.ts';

/** The reference updaters' defaults ($HUP_PULL_TRIES, $HUP_PULL_BACKOFF; test/updater/pull-retries.test.ts checks the scripts). */
export const REFERENCE_PULL_RETRY = { tries: 3, backoffS: 5 } as const;

/** The device engine gives up on a download that moved no byte for this long (DOCKER_PULL_STALL_TIMEOUT). */
export const ENGINE_STALL_S = 30;

export interface PullRetry {
  image: string;
  /** The try that failed (1-based) and the tries allowed. */
  try: number;
  of: number;
  /** Seconds the updater waited before the next try. */
  waitS: number;
}

/** Every failed-and-retried pull try in `output`; empty when the profile does not say how it words them. */
export function pullRetries(output: string, contract: Pick<UpdaterContract, 'pullRetry'>): PullRetry[] {
  const pattern = contract.pullRetry;
  if (!pattern) return [];
  const found: PullRetry[] = [];
  for (const line of output.split('\n')) {
    const g = pattern.exec(line.trimEnd())?.groups;
    if (g) found.push({ image: g.image ?? '', try: Number(g.try), of: Number(g.of), waitS: Number(g.wait ?? 0) });
  }
  return found;
}

/**
 * How long a dead link holds an updater with these retries before it gives up, at the least: every try
 * stalls for the engine's stall timeout, and the waits between them. A link down for longer fails the
 * pull; one back well inside it costs a try.
 */
export function retryWindowS(retry: { tries: number; backoffS: number } = REFERENCE_PULL_RETRY): number {
  let waits = 0;
  for (let n = 1; n < retry.tries; n++) waits += n * retry.backoffS;
  return retry.tries * ENGINE_STALL_S + waits;
}
