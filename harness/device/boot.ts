// Bringing a board from off to a usable OS: power on, bootloader, login prompt, SSH.
import type { Rig } from '../rig/rig.ts';
import type { Device } from './device.ts';

export interface BootTimes {
  /** Power-on → login prompt on the console, ms. */
  loginPromptMs: number;
  /** Power-on → SSH answering, ms. */
  sshReadyMs?: number;
}

/** Waits for the next login prompt on the console (after a power-on or a reboot). */
export async function waitForLoginPrompt(rig: Rig): Promise<void> {
  await rig.console.expect(/login: ?$/m, {
    timeoutMs: rig.config.bootTimeoutSeconds * 1000,
    what: `Login prompt on ${rig.config.name} (boot timeout ${rig.config.bootTimeoutSeconds}s from the rig file)`,
  });
}

export async function powerOnToLogin(rig: Rig): Promise<BootTimes> {
  const started = Date.now();
  await rig.power.on();
  await waitForLoginPrompt(rig);
  return { loginPromptMs: Date.now() - started };
}

export async function powerOnToSsh(rig: Rig, device: Device): Promise<BootTimes> {
  const started = Date.now();
  const times = await powerOnToLogin(rig);
  await device.connect(rig.config.bootTimeoutSeconds * 1000);
  return { ...times, sshReadyMs: Date.now() - started };
}
