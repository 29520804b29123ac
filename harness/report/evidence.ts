// What every test carries: the serial console it saw (timestamped from power-on) and the boot
// events parsed from it; then the report's labels and rendered tables (report-evidence.ts).
import type { TestInfo } from '@playwright/test';
import { splitByBoot } from '../console/boot-split.ts';
import type { Rig } from '../rig/rig.ts';
import { attachReportEvidence } from './report-evidence.ts';
import { recordAttempt } from './retry-policy.ts';

export async function attachConsoleEvidence(
  testInfo: TestInfo,
  rig: Rig,
  firstLine: number,
  firstEvent: number,
): Promise<void> {
  try {
    const transcript = rig.console.transcript(firstLine);
    await testInfo.attach('serial-console.log', {
      body: transcript || '(console silent during this test)',
      contentType: 'text/plain',
    });
    // A test that rebooted the board also gets one log per boot, numbered as they happened.
    const boots = transcript ? splitByBoot(transcript) : [];
    if (boots.length > 1) {
      for (const [i, body] of boots.entries())
        await testInfo.attach(`serial-console-boot-${i + 1}.log`, { body, contentType: 'text/plain' });
    }
    const events = rig.console.bootEvents.events.slice(firstEvent);
    await testInfo.attach('boot-events.json', {
      body: JSON.stringify(events, null, 2),
      contentType: 'application/json',
    });
  } catch (error) {
    // Note: evidence collection must never turn a result into a different one.
    console.warn(`Could not attach console evidence for ${testInfo.title}: ${(error as Error).message}`);
  }
  try {
    await recordAttempt(testInfo);
    await attachReportEvidence(testInfo, { deviceType: rig.deviceType, rigName: rig.config.name });
  } catch (error) {
    console.warn(`Could not attach report evidence for ${testInfo.title}: ${(error as Error).message}`);
  }
}
