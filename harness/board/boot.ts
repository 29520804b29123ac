// The board's boot primitives the strategy (strategy.ts) is made of: the login prompt, and a start
// from a card image that resumes its login snapshot when it can.
import { LOGIN_PROMPT } from '../console/login-prompt.ts';
import type { Rig } from '../rig/rig.ts';
import type { Device } from '../device/device.ts';

export interface BootTimes {
  /** Power-on → login prompt on the console, ms. */
  loginPromptMs: number;
  /** Power-on → SSH answering, ms. */
  sshReadyMs?: number;
}

/** Power on and wait for the login prompt: the board's own boot. */
export async function powerOnToLogin(rig: Rig): Promise<BootTimes> {
  const started = Date.now();
  await rig.power.on();
  await waitForLoginPrompt(rig);
  return { loginPromptMs: Date.now() - started };
}

/** Waits for the next login prompt on the console (after a power-on or a reboot). */
export async function waitForLoginPrompt(rig: Rig): Promise<void> {
  await rig.console.expect(LOGIN_PROMPT, {
    timeoutMs: rig.config.bootTimeoutSeconds * 1000,
    what: `Login prompt on ${rig.config.name} (boot timeout ${rig.config.bootTimeoutSeconds}s from the rig file)`,
  });
}

export interface StartOptions {
  /**
   * The test must see the board's real first boot (firmware, kernel, init on the console, first-boot
   * work on the card): no login snapshot is resumed. Tests that only need a running device leave it off.
   */
  firstBoot?: boolean;
}

export interface StartTimes extends BootTimes {
  /** True when the board was resumed from a login snapshot instead of booting. */
  resumed: boolean;
}

/**
 * Flashes `imagePath` and brings the board up to SSH. On rigs with login snapshots (QEMU) and unless
 * the test needs the first boot, the board resumes where a real boot of the same image stood at its
 * login prompt; otherwise it boots, and that boot is saved for the next test. A resumed device's
 * clock is set to the host's: it would otherwise run from the moment it was saved.
 */
export async function startFromImage(
  rig: Rig,
  device: Device,
  imagePath: string,
  opts: StartOptions = {},
): Promise<StartTimes> {
  const started = Date.now();
  // HUPBENCH_SNAPSHOTS=0: every start boots for real (a baseline, or to rule snapshots out).
  const snapshots = opts.firstBoot || process.env.HUPBENCH_SNAPSHOTS === '0' ? undefined : rig.snapshots;
  if (snapshots && (await snapshots.resume(imagePath))) {
    await promptAgain(rig);
    const loginPromptMs = Date.now() - started;
    await connectAndSetClock(rig, device);
    return { loginPromptMs, sshReadyMs: Date.now() - started, resumed: true };
  }
  await rig.flash(imagePath);
  const times = await powerOnToLogin(rig);
  // Saved before anything logs in or connects: the snapshot is the board as the boot left it.
  // A failed save costs the next test a real boot, not this test its run: it is noted on the console.
  if (snapshots)
    await snapshots
      .save(imagePath, times.loginPromptMs)
      .catch((e: Error) => rig.console.note(`login snapshot not saved: ${e.message.split('\n')[0]}`));
  await device.connect(rig.config.bootTimeoutSeconds * 1000);
  return { ...times, sshReadyMs: Date.now() - started, resumed: false };
}

/** Connects to a resumed board and sets its clock to the host's: it ran on from the moment it was saved. */
export async function connectAndSetClock(rig: Rig, device: Device): Promise<void> {
  await device.connect(rig.config.bootTimeoutSeconds * 1000);
  await device.check(`date -u -s @${Math.round(Date.now() / 1000)} >/dev/null`);
}

/** A resumed board printed its login prompt long ago: an empty line makes getty print it again. */
async function promptAgain(rig: Rig): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await rig.console.send('\n');
    try {
      await rig.console.expect(LOGIN_PROMPT, {
        timeoutMs: 5000,
        what: `Login prompt on ${rig.config.name} after resuming its snapshot`,
      });
      return;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}
