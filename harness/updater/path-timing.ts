// Where a path test's time goes: the device's own work (reaching SSH at the start, the updater's run,
// its reboot to login, a verdict it waits for on the device) against the test's wall time. `npm run bench` reads it from the `timing`
// annotation to report the harness's overhead as a ratio.
import type { StartTimes } from '../device/boot.ts';
import type { HupRun } from './runner.ts';

export interface PathTiming {
  wallMs: number;
  /** Power-on (or snapshot resume) → SSH of the source device. */
  startMs: number;
  resumed: boolean;
  /** Updater start → exit, including any pre-step and its reboot. */
  updaterMs: number;
  /** Updater exit → login prompt of the rebooted device. */
  rebootMs: number;
  /** Device work the test waits out after the reboot, e.g. rollback-health's verdict window. */
  verdictMs: number;
}

export function pathTiming(wallStarted: number, start: StartTimes, run: HupRun, verdictMs = 0): PathTiming {
  return {
    wallMs: Date.now() - wallStarted,
    startMs: start.sshReadyMs ?? start.loginPromptMs,
    resumed: start.resumed,
    updaterMs: run.durationMs + (run.preStep?.durationMs ?? 0),
    rebootMs: run.rebootMs ?? 0,
    verdictMs,
  };
}

/** The annotation a path test adds (one JSON object). */
export const timingAnnotation = (t: PathTiming) => ({ type: 'timing', description: JSON.stringify(t) });
