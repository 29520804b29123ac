// Suite-side: rollback-health keeps an update. Within its (compressed) window it clears
// upgrade_available and both breadcrumbs and leaves the boot settings on the new root; polled,
// because the verdict comes when the window ends.
import { expect } from '@playwright/test';
import type { Device } from '../device/device.ts';
import { testHealthWindow } from '../device/health-window.ts';

/** `newRootPart`: the partition number resinOS_uEnv.txt must keep (the root the update wrote). */
export async function expectHealthKeepsUpdate(device: Device, newRootPart: string, slackMs = 60_000): Promise<void> {
  const windowMs = testHealthWindow.count * testHealthWindow.timeoutSeconds * 1000;
  await expect
    .poll(
      async () => {
        const s = await device.snapshot();
        return {
          upgrade_available: s.bootEnv.upgrade_available,
          resin_root_part: s.bootEnv.resin_root_part,
          breadcrumbs: s.stateFiles.filter((f) => f.endsWith('-breadcrumb')),
        };
      },
      {
        timeout: windowMs + slackMs,
        intervals: [2000],
        message: `rollback-health verdict within its ${windowMs / 1000}s window`,
      },
    )
    .toEqual({ upgrade_available: '0', resin_root_part: newRootPart, breadcrumbs: [] });
}
