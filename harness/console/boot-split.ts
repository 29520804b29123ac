// Splits a console recording into one piece per boot, so a test that reboots five times attaches
// five readable logs instead of one long one. Pure: works on transcript lines ("[  12.345] text").

const stamp = /^\[\s*[\d.]+\] /;
const bootloaderBanner = /^U-Boot \d{4}\.\d{2}/;
const kernelStart = /^\[\s*0\.000000\] Linux version /;
// Harness notes that start a boot: a power-on, or a rig relaunching a board after a reset.
const harnessBootNote = /^---- (power on|board reset)/;
// A board resumed from a login snapshot: a boot of its own, though it printed no banner.
const resumedNote = /^---- resumed at the login prompt/;

/** Lines of the transcript grouped per boot; lines before the first boot go with the first. */
export function splitByBoot(transcript: string): string[] {
  const boots: string[][] = [];
  let current: string[] = [];
  let bootStarted = false; // the current piece already holds a banner or a kernel start
  let kernelSeen = false;
  for (const line of transcript.split('\n')) {
    const text = line.replace(stamp, '');
    const isBanner = bootloaderBanner.test(text);
    const isKernel = kernelStart.test(text);
    // A board without a visible banner (e.g. its first UART lines lost) starts a boot at the kernel.
    const startsBoot = harnessBootNote.test(text) || isBanner || (isKernel && kernelSeen);
    if (startsBoot && bootStarted) {
      boots.push(current);
      current = [];
      bootStarted = false;
      kernelSeen = false;
    }
    current.push(line);
    if (isBanner || isKernel || resumedNote.test(text)) bootStarted = true;
    if (isKernel) kernelSeen = true;
  }
  if (current.some((l) => l.trim())) boots.push(current);
  return boots.map((b) => b.join('\n'));
}
