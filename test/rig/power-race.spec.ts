// A power cut at the moment the board resets itself (issue 27), made deterministic. On the QEMU rig
// a board that relaunches on every boot (-no-reboot) is reset by the guest (U-Boot's `reset`); its
// SHUTDOWN(guest-reset) event is held before the rig sees it, and the cut comes before the relaunch
// (or just after the event, while the relaunch runs); the rig may also be disposed mid-relaunch. On
// the virtual bench the board resets in place (the rig plays no part in it): the cut races U-Boot's
// reset over the lab's own interfaces, in both orders. Every case ends with the board dark after the
// cut, powered on when asked, its console recorded in that order, and no QEMU left behind.
// The boards run firmware only (U-Boot qemu_arm on a blank card): no image build needed.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BenchRig } from '../../harness/rig/bench/bench-rig.ts';
import { runLabCommand } from '../../harness/rig/bench/host-command.ts';
import type { QemuBoard } from '../../harness/rig/qemu/boards/board.ts';
import { beagleboneBlack } from '../../harness/rig/qemu/boards/beaglebone-black.ts';
import { QmpClient } from '../../harness/rig/qemu/qmp.ts';
import { QemuRig } from '../../harness/rig/qemu/qemu-rig.ts';
import { loadRigConfig, type BenchRigConfig, type QemuRigConfig } from '../../harness/rig/rig-config.ts';
import type { Rig } from '../../harness/rig/rig.ts';

test.describe.configure({ timeout: 180_000 });

const banner = /^U-Boot \d{4}\.\d{2}/;

/** The BeagleBone board with a blank card (U-Boot only): with `relaunch`, a guest reset pauses QEMU and the rig relaunches it. */
function firmwareOnlyBoard(relaunch: boolean): QemuBoard {
  return {
    binary: 'qemu-system-arm',
    nicId: 'nic0',
    relaunchOnEveryBoot: relaunch,
    notSnapshottable: 'a test board',
    async launch(inputs) {
      // The BeagleBone rig's own command line (U-Boot on `virt`); a reset that pauses QEMU on top.
      const real = await beagleboneBlack.launch(inputs);
      return { ...real, args: [...real.args, ...(relaunch ? ['-no-reboot'] : [])] };
    },
  };
}

/**
 * Holds QMP SHUTDOWN(guest-reset) events before any rig listener sees them, as a slow event delivery
 * would. Note: it wraps QmpClient.prototype.onEvent in this worker only, so it needs no hook in the rig.
 */
function holdGuestResets() {
  const held: Array<() => void> = [];
  const original = QmpClient.prototype.onEvent;
  QmpClient.prototype.onEvent = function (listener) {
    original.call(this, (event, data) => {
      if (event === 'SHUTDOWN' && data.reason === 'guest-reset') held.push(() => listener(event, data));
      else listener(event, data);
    });
  };
  return {
    /** Waits until the guest has reset and its event is held. */
    async seen(): Promise<void> {
      await expect.poll(() => held.length, { timeout: 20_000, message: 'the guest reset event' }).toBeGreaterThan(0);
    },
    /** Delivers the held events to the rig (synchronously) and stops holding new ones. */
    release(): void {
      QmpClient.prototype.onEvent = original;
      for (const deliver of held.splice(0)) deliver();
    },
    restore(): void {
      QmpClient.prototype.onEvent = original;
    },
  };
}

let dir: string;
let blankCard: string;
test.beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hupbench-power-race-'));
  blankCard = path.join(dir, 'blank.img');
  await writeFile(blankCard, '');
  await truncate(blankCard, 16 * 1024 * 1024);
});
test.afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function qemuRig(relaunch: boolean): { rig: QemuRig; workDir: string } {
  const config: QemuRigConfig = {
    name: 'power-race',
    kind: 'qemu',
    deviceType: 'beaglebone-black',
    memoryMiB: 128,
    bootTimeoutSeconds: 60,
    imagePullMiBps: 1,
    instances: 1,
    tcgThread: 'multi',
    example: false,
  };
  const workDir = path.join(dir, 'rig');
  return { rig: new QemuRig(config, workDir, { board: firmwareOnlyBoard(relaunch) }), workDir };
}

/** Index of the last recorded line matching `re`, or -1. */
const lastLine = (rig: Rig, re: RegExp) => rig.console.lines.findLastIndex((l) => re.test(l.text));

/** Waits for a line matching `re` recorded after line `after`. */
async function lineAfter(rig: Rig, re: RegExp, after: number, timeoutMs = 60_000): Promise<number> {
  let found = -1;
  await expect
    .poll(() => (found = rig.console.lines.findIndex((l, i) => i > after && re.test(l.text))), {
      timeout: timeoutMs,
      message: `${re} on the console after line ${after}:\n${rig.console.transcript()}`,
    })
    .toBeGreaterThan(after);
  return found;
}

/** U-Boot's prompt after a power-on: autoboot stopped by a key. */
async function toPrompt(rig: Rig): Promise<void> {
  await rig.console.expect(/Hit any key to stop autoboot/, { timeoutMs: 60_000, what: 'U-Boot autoboot countdown' });
  await rig.console.send(' ');
  await rig.console.expect(/=> $/m, { timeoutMs: 10_000, what: 'U-Boot prompt' });
}

/** After the cut, nothing boots until the power comes back: no banner, no relaunch, for `ms`. */
async function expectDark(rig: Rig, cutLine: number, ms = 5000): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  const after = rig.console.lines.slice(cutLine + 1).map((l) => l.text);
  expect(
    after.filter((t) => banner.test(t) || /relaunching QEMU/.test(t)),
    `the board stayed dark after the cut:\n${rig.console.transcript()}`,
  ).toEqual([]);
}

/** The console after the cut: the cut, then a power-on, then the firmware's banner. */
async function expectPoweredOnAfter(rig: Rig, cutLine: number): Promise<void> {
  const on = await lineAfter(rig, /^---- power on/, cutLine, 1000);
  await lineAfter(rig, banner, on);
}

function qemuLeft(workDir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', workDir], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function expectNoQemuLeft(workDir: string): Promise<void> {
  await expect
    .poll(() => qemuLeft(workDir), { timeout: 10_000, message: `no QEMU left running from ${workDir}` })
    .toEqual([]);
}

test.describe('QEMU rig, board relaunched on every reset', () => {
  test('the guest resets, its event is held, the power is cut before the relaunch: dark until powered on', async () => {
    const { rig, workDir } = qemuRig(true);
    const resets = holdGuestResets();
    try {
      await rig.flash(blankCard);
      await rig.power.on();
      await toPrompt(rig);
      await rig.console.send('reset\n');
      await resets.seen();
      await rig.power.cut();
      const cut = lastLine(rig, /^---- power cut/);
      expect(cut).toBeGreaterThan(0);
      resets.release();
      await expectDark(rig, cut);
      expect(rig.powerReport()).toMatch(/^power-race: power off/);

      await rig.power.on();
      await expectPoweredOnAfter(rig, cut);
      expect(rig.powerReport()).toMatch(/power on .*QEMU pid \d+ running, CPUs running.*console attached/);
    } finally {
      resets.restore();
      await test.info().attach('serial-console.log', { body: rig.console.transcript(), contentType: 'text/plain' });
      await rig.dispose();
    }
    await expectNoQemuLeft(workDir);
  });

  test('the guest resets and the rig starts relaunching, then the cut: dark until powered on', async () => {
    const { rig, workDir } = qemuRig(true);
    const resets = holdGuestResets();
    try {
      await rig.flash(blankCard);
      await rig.power.on();
      await toPrompt(rig);
      await rig.console.send('reset\n');
      await resets.seen();
      // The rig has the event (its relaunch begins) before the cut is asked for.
      resets.release();
      await rig.power.cut();
      const cut = lastLine(rig, /^---- power cut/);
      expect(cut).toBeGreaterThan(lastLine(rig, /relaunching QEMU/));
      await expectDark(rig, cut);

      await rig.power.on();
      await expectPoweredOnAfter(rig, cut);
    } finally {
      resets.restore();
      await test.info().attach('serial-console.log', { body: rig.console.transcript(), contentType: 'text/plain' });
      await rig.dispose();
    }
    await expectNoQemuLeft(workDir);
  });

  test('the rig is disposed while it relaunches the board: no QEMU left behind', async () => {
    const { rig, workDir } = qemuRig(true);
    const resets = holdGuestResets();
    try {
      await rig.flash(blankCard);
      await rig.power.on();
      await toPrompt(rig);
      await rig.console.send('reset\n');
      await resets.seen();
      resets.release();
    } finally {
      resets.restore();
      await rig.dispose();
    }
    // A relaunch that outlived the disposal would start its QEMU about now.
    await new Promise((r) => setTimeout(r, 3000));
    await expectNoQemuLeft(workDir);
  });
});

test.describe('virtual bench, board reset in place', () => {
  test.describe.configure({ mode: 'serial' });

  async function benchRig(): Promise<BenchRig> {
    const config = (await loadRigConfig('virtual-bench-beaglebone-black')) as BenchRigConfig;
    // A small card: the board runs firmware only.
    return new BenchRig(
      { ...config, virtualBench: { ...config.virtualBench!, cardSizeMiB: 16, memoryMiB: 128 } },
      path.join(dir, 'rig'),
    );
  }

  const labPower = async (rig: BenchRig) => (await readFile(path.join(rig.virtualLab!.dir, 'power'), 'utf8')).trim();

  test("the cut and the board's own reset at once, then power on: dark until powered on", async () => {
    const rig = await benchRig();
    try {
      await rig.power.on();
      await toPrompt(rig);
      // Which lands first is the lab's business (ser2net to U-Boot vs pdudaemon to QMP): either way
      // the board is off afterwards, and the console says so in order.
      await Promise.all([rig.console.send('reset\n'), rig.power.cut()]);
      const cut = lastLine(rig, /^---- power cut/);
      expect(await labPower(rig)).toBe('off');
      await expectDark(rig, cut, 3000);
      expect(rig.powerReport()).toMatch(/^virtual-bench-beaglebone-black: power off/);

      await rig.power.on();
      await expectPoweredOnAfter(rig, cut);
      expect(await labPower(rig)).toBe('on');
      expect(rig.powerReport()).toMatch(/power on .*QEMU pid \d+ running.*console attached/);
    } finally {
      await test.info().attach('serial-console.log', { body: rig.console.transcript(), contentType: 'text/plain' });
      await rig.dispose();
    }
  });

  test('the board resets, the cut comes as it boots again, then power on: dark until powered on', async () => {
    const rig = await benchRig();
    try {
      await rig.power.on();
      await toPrompt(rig);
      const before = rig.console.lines.length - 1;
      await rig.console.send('reset\n');
      await lineAfter(rig, banner, before);
      await rig.power.cut();
      const cut = lastLine(rig, /^---- power cut/);
      await expectDark(rig, cut, 3000);

      await rig.power.on();
      await expectPoweredOnAfter(rig, cut);
    } finally {
      await test.info().attach('serial-console.log', { body: rig.console.transcript(), contentType: 'text/plain' });
      await rig.dispose();
    }
  });

  test('power on and a cut asked for at once run in that order', async () => {
    const rig = await benchRig();
    try {
      await rig.power.on();
      await toPrompt(rig);
      await rig.power.cut();
      const firstCut = lastLine(rig, /^---- power cut/);
      // Not awaited in between: the owner keeps the order they were asked in.
      await Promise.all([rig.power.on(), rig.power.cut()]);
      const on = await lineAfter(rig, /^---- power on/, firstCut, 1000);
      const cut = await lineAfter(rig, /^---- power cut/, on, 1000);
      expect(await labPower(rig)).toBe('off');
      expect(rig.powerReport()).toMatch(/power off/);
      await rig.power.on();
      await expectPoweredOnAfter(rig, cut);
    } finally {
      await test.info().attach('serial-console.log', { body: rig.console.transcript(), contentType: 'text/plain' });
      await rig.dispose();
    }
  });

  test("a power-on the lab's relay refused is an error, not a silent OK from pdudaemon", async () => {
    const rig = await benchRig();
    try {
      await rig.power.cut();
      const mux = rig.virtualLab!.wiring.sdMux.commands!;
      // With the card on the host the lab's relay refuses to power the board; pdudaemon still says OK.
      await runLabCommand(mux.host, 'Switching the SD card to the lab host', 10_000);
      await expect(rig.power.on()).rejects.toThrow(/accepted power on but the virtual lab's relay is off/);
      expect(rig.powerReport()).toMatch(/power off .*last transition: power on, failed/);
      await runLabCommand(mux.board, 'Switching the SD card to the board', 10_000);
      await rig.power.on();
      await lineAfter(rig, banner, lastLine(rig, /^---- power on/));
    } finally {
      await test.info().attach('serial-console.log', { body: rig.console.transcript(), contentType: 'text/plain' });
      await rig.dispose();
    }
  });
});
