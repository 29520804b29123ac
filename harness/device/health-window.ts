// rollback-health's window, compressed for tests from its 15-minute default so a test can wait for
// its verdict.
import type { Device } from './device.ts';

export interface HealthWindow {
  count: number;
  timeoutSeconds: number;
}
export const testHealthWindow: HealthWindow = { count: 3, timeoutSeconds: 20 };

/** The shell command that sets rollback-health's COUNT and TIMEOUT (in /mnt/state: it survives the reboot). */
export function healthWindowScript(window: HealthWindow = testHealthWindow): string {
  return `printf 'COUNT=%s\nTIMEOUT=%s\n' ${window.count} ${window.timeoutSeconds} > /mnt/state/rollback-health-variables && sync`;
}

/** Sets rollback-health's COUNT and TIMEOUT for the next update. */
export async function setHealthWindow(device: Device, window: HealthWindow = testHealthWindow): Promise<void> {
  await device.check(healthWindowScript(window));
}
