// Recognises what a board's console says about its boots. Pure: fed line by line, so it is tested
// against recorded U-Boot and kernel logs.
import { LOGIN_PROMPT_LINE } from './login-prompt.ts';

export type BootEventKind =
  | 'bootloader' // U-Boot banner: a (re)boot started
  | 'bootcount' // U-Boot reported the bootcount it keeps while an upgrade is on trial
  | 'bootlimit' // WARNING! BOOTLIMIT EXCEEDED: U-Boot switched to the previous root
  | 'kernel' // the kernel started
  | 'panic' // kernel panic
  | 'restart' // the OS asked for a reboot
  | 'halt' // the OS powered down or halted
  | 'login'; // a login prompt: the OS is up

export interface BootEvent {
  kind: BootEventKind;
  /** Milliseconds since power-on. */
  atMs: number;
  line: string;
  /** Which boot (1-based) the event belongs to. */
  boot: number;
}

const patterns: Array<[BootEventKind, RegExp]> = [
  ['bootloader', /^U-Boot \d{4}\.\d{2}/],
  ['bootlimit', /WARNING! BOOTLIMIT EXCEEDED/],
  ['bootcount', /bootcount[=: ]+\d+/i],
  ['kernel', /^\[\s*0\.000000\] Linux version /],
  ['panic', /Kernel panic - not syncing/],
  ['restart', /reboot: Restarting system/],
  ['halt', /reboot: (System halted|Power down)/],
  ['login', LOGIN_PROMPT_LINE],
];

export class BootEventParser {
  readonly events: BootEvent[] = [];
  private boot = 0;

  /** Feeds one console line (without its newline); returns the event it was, if any. */
  feed(line: string, atMs: number): BootEvent | undefined {
    const match = patterns.find(([, re]) => re.test(line));
    if (!match) return undefined;
    const kind = match[0];
    // A boot starts at the bootloader banner; a kernel start with no banner before it (a board
    // booted straight into Linux) starts one too.
    if (kind === 'bootloader' || (kind === 'kernel' && (this.boot === 0 || this.currentBootHas('kernel')))) this.boot++;
    const event: BootEvent = { kind, atMs, line, boot: Math.max(this.boot, 1) };
    this.events.push(event);
    return event;
  }

  /** Boots seen so far (each U-Boot banner starts one). */
  get boots(): number {
    return this.boot;
  }

  /**
   * Boots that began without the OS asking for a restart or the harness powering the board on:
   * watchdog resets, brown-outs, crashes.
   */
  unexpectedResets(powerOnsAtMs: number[]): BootEvent[] {
    return this.events.filter((e, i) => {
      if (e.kind !== 'bootloader') return false;
      const previous = this.events
        .slice(0, i)
        .reverse()
        .find((p) => p.kind !== 'bootloader');
      const poweredOn = powerOnsAtMs.some((t) => t <= e.atMs && t >= (previous?.atMs ?? -Infinity));
      return !poweredOn && previous !== undefined && previous.kind !== 'restart' && previous.kind !== 'panic';
    });
  }

  private currentBootHas(kind: BootEventKind): boolean {
    return this.events.some((e) => e.boot === this.boot && e.kind === kind);
  }
}
