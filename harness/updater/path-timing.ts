// Where a path test's time goes: the device's own work (reaching SSH at the start, the updater's run,
// its reboot to login, a verdict it waits for on the device) against the test's wall time. The suites
// record it as the `timing` record (harness/report/test-data.ts); the summary reporter tabulates it
// and `npm run bench` reports the harness's overhead from it as a ratio.
//
// Device time is the time the test waits for the device's own work and nothing else: the start to
// SSH, the updater's run, the reboot to the login prompt, and the device work the suite times as its
// verdict (rollback-health's window on 2.x; the first boot's supervisor and app pulls after 1.x).
// Everything else is the harness's: fixtures, publishing, flashing, preparing the source (config.json,
// the source's supervisor and app coming up, the seed), SSH round trips, checks, evidence. Where a
// suite's wait for device work falls outside its verdict (2.x: the supervisor and the app coming back
// after the reboot, inside rollback-health's window) it counts as the harness's, so the ratio
// overstates the harness's share rather than understating it. `npm run bench:overhead` splits a
// run's tests along these lines.
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
  /** Updater exit → SSH answering again after the reboot. */
  sshBackMs?: number;
  /** Device work the test waits out after the reboot, e.g. rollback-health's verdict window. */
  verdictMs: number;
  /** The device's own time: start + updater + reboot + verdict; `wallMs / deviceMs` is the harness's overhead. */
  deviceMs: number;
  /** The updater's phases (a pre-step's first, prefixed `pre-step `), as it reported them. */
  phases: Array<{ name: string; durationMs: number }>;
}

/** When and how the source device came up (board/boot.ts's StartTimes). */
interface StartTimes {
  sshReadyMs?: number;
  loginPromptMs: number;
  resumed: boolean;
}

export function pathTiming(wallStarted: number, start: StartTimes, run: HupRun, verdictMs = 0): PathTiming {
  const startMs = start.sshReadyMs ?? start.loginPromptMs;
  const updaterMs = run.durationMs + (run.preStep?.durationMs ?? 0);
  const rebootMs = run.rebootMs ?? 0;
  const phases = [
    ...(run.preStep?.phases ?? []).map((p) => ({ name: `pre-step ${p.name}`, durationMs: p.durationMs })),
    ...run.phases.map((p) => ({ name: p.name, durationMs: p.durationMs })),
  ];
  return {
    wallMs: Date.now() - wallStarted,
    startMs,
    resumed: start.resumed,
    updaterMs,
    rebootMs,
    ...(run.sshBackMs === undefined ? {} : { sshBackMs: run.sshBackMs }),
    verdictMs,
    deviceMs: startMs + updaterMs + rebootMs + verdictMs,
    phases,
  };
}
