// The board strategy (labgrid's Strategy is the model): one object per board that owns its
// transitions — off → bootloader → login → SSH — and follows the reboots the product makes
// (console boot events, bootcount lines, SSH reconnect). Suites, scenarios, the updater runner,
// check-rig and the CLI drive boards through it; nothing else powers, waits for a prompt or
// reconnects on its own. Every transition is a step: wrapped in the caller's step runner (Playwright's
// test.step in suites, live progress in the CLI) and recorded as a BoardStep for the reports.
import type { BootEvent } from '../console/boot-events.ts';
import type { Device } from '../device/device.ts';
import { expectOnDevice, expectOsBack } from '../device/product-wait.ts';
import type { Rig } from '../rig/rig.ts';
import { waitFor } from '../wait.ts';
import {
  type BootTimes,
  powerOnToLogin,
  type StartOptions,
  type StartTimes,
  startFromImage,
  waitForLoginPrompt,
} from './boot.ts';
import { type BoardState, type BoardStep, StepLog, type StepRunner } from './steps.ts';

export type { BoardState, BoardStep, StepRunner };

/** Where the console stood at a moment: `since(mark)` returns what came after it. */
export interface ConsoleMark {
  event: number;
  line: number;
  boots: number;
}

export interface ConsoleSince {
  events: BootEvent[];
  text: string;
  boots: number;
}

export class BoardStrategy {
  readonly log: StepLog;

  constructor(
    readonly rig: Rig,
    readonly device: Device,
    step?: StepRunner,
  ) {
    this.log = new StepLog(step, {
      mark: () => this.mark(),
      // Note: the boot events only, not since()'s console text: this runs after every step.
      since: (mark) => {
        const { bootEvents } = this.rig.console;
        const m = mark as ConsoleMark;
        return { boots: bootEvents.boots - m.boots, events: bootEvents.events.slice(m.event).map(describeEvent) };
      },
    });
  }

  get state(): BoardState {
    return this.log.state;
  }

  get steps(): readonly BoardStep[] {
    return this.log.steps;
  }

  /** A step of the scenario around the board (publishing, seeding): same runner, same record. */
  step<T>(name: string, body: () => Promise<T>): Promise<T> {
    return this.log.run(name, undefined, body);
  }

  /** Writes a card image to the board's card (the board is off after). */
  flash(imagePath: string): Promise<void> {
    return this.log.run(`board: flash ${shortName(imagePath)}`, 'off', async () => {
      await this.device.disconnect();
      await this.rig.flash(imagePath);
    });
  }

  /** Flashes `imagePath` (or resumes its login snapshot) and brings the board to SSH. */
  start(imagePath: string, opts: StartOptions = {}): Promise<StartTimes> {
    const how = opts.firstBoot ? 'first boot' : 'boot or resume its login snapshot';
    return this.log.run(`board: flash ${shortName(imagePath)}; ${how}`, 'ssh', () =>
      startFromImage(this.rig, this.device, imagePath, opts),
    );
  }

  /**
   * Power off, then on, until the bootloader's banner (U-Boot YYYY.MM) shows: a rig-side wait (the
   * wiring, the power switch, the card), whose timeout names what to check.
   */
  powerCycleToBootloader(timeoutMs: number, details?: () => string): Promise<{ banner: BootEvent; powerOnAt: number }> {
    return this.log.run('board: power cycle to the bootloader banner', 'bootloader', async () => {
      await this.device.disconnect();
      await this.rig.power.off();
      await this.rig.power.on();
      const powerOnAt = this.rig.console.powerOnTimes().at(-1) ?? 0;
      const banner = await waitFor(
        async () => this.rig.console.bootEvents.events.find((e) => e.kind === 'bootloader' && e.atMs >= powerOnAt),
        { timeoutMs, what: 'The bootloader banner (U-Boot YYYY.MM) on the console after power-on', details },
      );
      return { banner, powerOnAt };
    });
  }

  /** From the bootloader (or a boot under way) to the login prompt: a rig-side wait (the source's own boot). */
  toLoginPrompt(): Promise<void> {
    return this.log.run('board: login prompt', 'login', () => waitForLoginPrompt(this.rig));
  }

  /** Power on and wait for the login prompt (a rig-side wait: the board's own boot, not an update). */
  powerOn(): Promise<BootTimes> {
    return this.log.run('board: power on to the login prompt', 'login', () => powerOnToLogin(this.rig));
  }

  /** From the login prompt to SSH answering. */
  toSsh(): Promise<void> {
    return this.log.run('board: SSH', 'ssh', () => this.device.connect(this.rig.config.bootTimeoutSeconds * 1000));
  }

  /** An orderly power-off. */
  powerOff(): Promise<void> {
    return this.log.run('board: power off', 'off', async () => {
      await this.device.disconnect();
      await this.rig.power.off();
    });
  }

  /** Removes power at once (a fault): whatever the board was doing stops mid-write. */
  async cut(why: string): Promise<void> {
    await this.log.run(`board: power cut (${why})`, 'off', () => this.rig.power.cut());
  }

  /**
   * Follows a reboot the product makes (the updater's, a rollback's, one after a power cut) to the
   * login prompt and SSH. A product wait: an OS that does not come back fails as the product.
   */
  followReboot(what: string): Promise<{ loginMs: number; sshMs: number }> {
    return this.log.run(`board: follow the reboot to ${what}`, 'ssh', async () => {
      await this.device.disconnect();
      return expectOsBack(this.rig, this.device, what);
    });
  }

  /** Power on after a cut and follow the boot to SSH (a product wait, as `followReboot`). */
  powerOnAfterCut(what: string): Promise<{ loginMs: number; sshMs: number }> {
    return this.log.run(`board: power on; follow the boot to ${what}`, 'ssh', async () => {
      await this.device.disconnect();
      await this.rig.power.on();
      return expectOsBack(this.rig, this.device, what);
    });
  }

  /**
   * Reboots the device from its shell and returns at once, SSH closed: the caller follows the boots
   * (a rollback is several) with `expectConsole` and `followReboot`.
   */
  async rebootDetached(): Promise<void> {
    await this.log.run('board: reboot (detached)', 'login', async () => {
      await this.device.exec('(sleep 1; reboot) < /dev/null > /dev/null 2>&1 &');
      await this.device.disconnect();
    });
  }

  /**
   * Resumes a saved board (a phase snapshot) with `resume`: it runs on from where it was saved, and
   * SSH reconnects on its next use. False when the saved board would not load.
   */
  resumeSaved(what: string, resume: () => Promise<boolean>): Promise<boolean> {
    return this.log.run(`board: resume ${what}`, undefined, async () => {
      await this.device.disconnect();
      return resume();
    });
  }

  /** A console pattern the product must print within `timeoutMs` (a product wait). */
  expectConsole(pattern: RegExp, opts: { timeoutMs: number; what: string }): Promise<void> {
    return this.log.run(`board: console shows ${opts.what}`, undefined, async () => {
      await expectOnDevice(
        this.rig,
        opts.what,
        (timeoutMs) => this.rig.console.expect(pattern, { timeoutMs, what: opts.what }),
        opts.timeoutMs,
      );
    });
  }

  /** Where the console stands now. */
  mark(): ConsoleMark {
    const c = this.rig.console;
    return { event: c.bootEvents.events.length, line: c.lines.length, boots: c.bootEvents.boots };
  }

  /** The boot events, console text and boots since `mark`. */
  since(mark: ConsoleMark): ConsoleSince {
    const c = this.rig.console;
    return {
      events: c.bootEvents.events.slice(mark.event),
      text: c.lines
        .slice(mark.line)
        .map((l) => l.text)
        .join('\n'),
      boots: c.bootEvents.boots - mark.boots,
    };
  }
}

/** A boot event in a few words: its kind, and the bootcount U-Boot printed. */
function describeEvent(e: BootEvent): string {
  const count = e.kind === 'bootcount' ? e.line.match(/bootcount=(\d+)/)?.[1] : undefined;
  return count ? `bootcount=${count}` : e.kind;
}

function shortName(file: string): string {
  return file.split('/').slice(-2).join('/');
}
