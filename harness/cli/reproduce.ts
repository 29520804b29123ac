// `hupbench run`: one update path on one rig, in this process, for reproducing a field failure:
// flash the source release, boot it with the supervisor and the app, run the path's updater with
// live progress, optionally inject a fault (a power cut when the updater enters a
// phase, or a broken new OS from the fault catalogue), follow the device to where it settles, and
// keep every byte of evidence in a results folder. With --keep the board stays up afterwards, with
// its console in this terminal and SSH reachable from another.
//
// Note: this runs the harness library directly rather than through Playwright because Playwright's
// worker fixtures dispose the rig when the run ends (so no --keep), and because a person
// reproducing a failure wants the phases and bytes as they happen. Gating and nightly runs go
// through Playwright (playwright-run.ts).
import path from 'node:path';
import { BOOT_LIMIT } from '../../images/lib/boot-files.ts';
import { cacheDir } from '../../images/lib/cache.ts';
import { powerOnToLogin } from '../device/boot.ts';
import { expectOnConsole, expectOnDevice, expectOsBack } from '../device/product-wait.ts';
import { Device } from '../device/device.ts';
import type { DeviceState } from '../device/device-state.ts';
import { InfraError, ProductWaitError } from '../errors.ts';
import {
  classifyOutcome,
  faults,
  meetsGuarantee,
  powerCutGuarantees,
  rollbackVerdict,
  type GuaranteeRow,
  type NewOsFault,
} from '../faults/index.ts';
import { imageForRelease } from '../image/release-image.ts';
import { publishRelease, startRegistry, type StartedRegistry } from '../registry/index.ts';
import { newResultsFolder } from '../report/results-folder.ts';
import { createRig } from '../rig/create-rig.ts';
import { acquireRigLease, type RigLease } from '../rig/lease.ts';
import type { Rig } from '../rig/rig.ts';
import { deviceKeyPath } from '../../images/lib/keys.ts';
import {
  dataChecksums,
  prepareDevice,
  seedData,
  setHealthWindow,
  testHealthWindow,
  updaterScript,
} from '../updater/device-setup.ts';
import { runUpdater, type HupRun } from '../updater/runner.ts';
import { consoleSession } from './console-session.ts';
import {
  phaseFaults,
  requireFault,
  requirePath,
  requirePhase,
  requireRelease,
  requireRig,
  updaterPhases,
  upgradeMatrix,
  type PhaseFault,
} from './known.ts';
import { Progress } from './progress.ts';
import { writeRunEvidence } from './run-evidence.ts';
import { UsageError } from './usage-error.ts';

export interface ReproduceOptions {
  rig?: string;
  from?: string;
  to?: string;
  fault?: string;
  at?: string;
  /** ms into the phase for the cut (default: the guarantee table's, 0 for the short phases). */
  afterMs?: number;
  /** network-down: how long the link stays down, seconds. */
  outage?: number;
  keep?: boolean;
}

type Plan =
  | { kind: 'clean' }
  | { kind: 'phase'; fault: PhaseFault; at: string; afterMs: number; guarantee?: GuaranteeRow }
  | { kind: 'new-os'; fault: NewOsFault };

async function plan(opts: ReproduceOptions) {
  const rig = await requireRig(opts.rig);
  const from = await requireRelease(opts.from, '--from');
  const to = await requireRelease(opts.to, '--to');
  const entry = requirePath(await upgradeMatrix([rig.name]), rig.name, from.version, to.version);
  if (entry.path.pathClass !== '2x')
    throw new UsageError(
      `hupbench run drives 2.x → 2.x paths so far; ${entry.path.name} is ${entry.path.pathClass} (run its suite: ${entry.suite}).`,
    );
  let what: Plan = { kind: 'clean' };
  if (opts.at && !opts.fault)
    throw new UsageError(`--at needs a --fault. Phase faults: ${Object.keys(phaseFaults).join(', ')}`);
  if (opts.fault) {
    const f = requireFault(opts.fault);
    if (f.kind === 'phase') {
      if (!opts.at)
        throw new UsageError(
          `--fault ${f.name} needs --at PHASE: the updater phase at which it strikes. Phases of ${entry.path.updater}: ${(await updaterPhases(entry.path.updater)).join(', ')}`,
        );
      const at = await requirePhase(opts.at, entry.path.updater);
      const guarantee = powerCutGuarantees.find((r) => r.updater === entry.path.updater && r.phase === at);
      what = {
        kind: 'phase',
        fault: f.name,
        at,
        afterMs: opts.afterMs ?? (f.name === 'power-cut' ? (guarantee?.afterMs ?? 0) : 1000),
        guarantee: f.name === 'power-cut' ? guarantee : undefined,
      };
    } else {
      if (opts.at)
        throw new UsageError(
          `--fault ${f.name} breaks the new OS after the updater wrote it and before its first boot; it takes no --at. Faults that take --at: ${Object.keys(phaseFaults).join(', ')}`,
        );
      what = { kind: 'new-os', fault: faults[f.name] as NewOsFault };
    }
  }
  return { rigConfig: rig, entry, what };
}

const sshCommand = (rig: Rig) => {
  const e = rig.sshEndpoint();
  return `ssh -i ${path.relative(process.cwd(), deviceKeyPath) || deviceKeyPath} -p ${e.port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@${e.host}`;
};

export async function reproduce(opts: ReproduceOptions): Promise<number> {
  const { rigConfig, entry, what } = await plan(opts);
  const p = new Progress();
  const label = `${entry.path.from.version} → ${entry.path.to.version}${what.kind === 'phase' ? `, ${what.fault} at ${what.at}` : what.kind === 'new-os' ? `, ${what.fault.name}` : ''}`;
  const resultsDir = newResultsFolder(
    `run-${rigConfig.name}-${entry.path.from.version}-to-${entry.path.to.version}${opts.fault ? `-${opts.fault}${opts.at ? `-at-${opts.at}` : ''}` : ''}`,
  );
  p.log(`${rigConfig.name}: ${label}; evidence in ${resultsDir}`);

  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch((e: Error) => console.error(`cleanup: ${e.message}`));
    cleanups.length = 0;
  };
  // Note: QEMU dies with this process (pdeathsig), the registry container does not: stop it on Ctrl-C.
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let rig: Rig | undefined;
  let registry: StartedRegistry | undefined;
  let run: HupRun | undefined;
  let before: DeviceState | undefined;
  let after: DeviceState | undefined;
  let verdict = '';
  let ok = false;
  let registryMark = 0;
  const registryBytes = async () => (registry ? (await registry.bytesServed(registryMark)).total : 0);
  try {
    const lease: RigLease | undefined =
      rigConfig.kind === 'bench'
        ? await acquireRigLease(rigConfig.name, { command: `hupbench run ${label}` })
        : undefined;
    if (lease) cleanups.push(() => lease.release());
    rig = createRig(rigConfig, path.join(cacheDir, 'rigs', `${rigConfig.name}-cli-${process.pid}`));
    const board = rig;
    cleanups.push(() => board.dispose());
    const device = new Device(rig);

    p.log('starting the registry and publishing both releases');
    registry = await startRegistry();
    const reg = registry;
    cleanups.push(() => reg.stop());
    await publishRelease(reg.client, entry.path.from.version, rig.deviceType);
    await publishRelease(reg.client, entry.path.to.version, rig.deviceType);

    p.log(`card image of ${entry.path.from.version} for ${rig.deviceType} (built if missing)`);
    const image = await imageForRelease(entry.path.from.version, rig.deviceType);
    await rig.flash(image.path);
    p.log(`power on; waiting for the login prompt (up to ${rigConfig.bootTimeoutSeconds}s)`);
    const boot = await powerOnToLogin(rig);
    p.log(`login prompt after ${(boot.loginPromptMs / 1000).toFixed(1)}s; SSH, supervisor and app`);
    await device.connect(rigConfig.bootTimeoutSeconds * 1000);
    await prepareDevice(device, {
      registry: reg.deviceUrl,
      deviceType: rig.deviceType,
      supervisorVersion: entry.path.from.supervisor,
      waitForApp: true,
    });
    await seedData(device);
    await setHealthWindow(device);
    before = await device.snapshot();
    const sumsBefore = await dataChecksums(device);
    registryMark = await reg.mark();

    // Live MiB: what the registry served since the updater started.
    let phase = 'start';
    let phaseAt = Date.now();
    const poll = setInterval(
      () =>
        void registryBytes().then(
          (b) => (p.mib = b / 2 ** 20),
          () => undefined,
        ),
      2000,
    );
    cleanups.push(async () => clearInterval(poll));
    p.keepSaying(() => `  … ${phase} for ${Math.round((Date.now() - phaseAt) / 1000)}s`);

    const outageMs = (opts.outage ?? 45) * 1000;
    const action = async () => {
      if (what.kind !== 'phase') return;
      if (what.fault === 'power-cut') {
        p.log(`FAULT: power cut ${what.afterMs ? `${what.afterMs} ms into` : 'as the updater enters'} ${what.at}`);
        await board.power.cut();
      } else {
        p.log(`FAULT: network down for ${outageMs / 1000}s from ${what.afterMs} ms into ${what.at}`);
        await board.network.down();
        // Note: the outage's length is the fault itself, not a wait for a condition.
        await new Promise((r) => setTimeout(r, outageMs));
        await board.network.up();
        p.log('network back up');
      }
    };
    const args = ['--hostos-version', entry.path.to.version, '--supervisor-version', entry.path.to.supervisor];
    if (what.kind === 'new-os') args.push('--no-reboot');
    p.log(`updater ${entry.path.updater} ${args.join(' ')}`);
    let partial = '';
    run = await runUpdater(device, rig, {
      script: updaterScript(entry.path.updater),
      args,
      // After a power cut the harness powers the board on again itself.
      expectReboot: what.kind === 'phase' && what.fault === 'power-cut' ? false : undefined,
      at:
        what.kind === 'phase'
          ? {
              phase: what.at,
              afterMs: what.afterMs,
              action,
              connection: what.fault === 'power-cut' ? 'lost' : 'resumes',
            }
          : undefined,
      step: async (name, body) => {
        phase = name;
        phaseAt = Date.now();
        p.log(name.replace('updater phase: ', 'phase '));
        return body();
      },
      onOutput: (chunk) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) if (/error/i.test(l)) p.log(`  ${l}`);
      },
    });
    const injected = run.injected;
    p.stop();
    if (what.kind === 'phase' && !injected) p.log(`the updater never entered ${what.at}: no fault was injected`);
    p.log(
      `updater exit ${run.exitCode} (${run.outcome}) after ${(run.durationMs / 1000).toFixed(1)}s; ${(run.bytesReceived / 2 ** 20).toFixed(1)} MiB received`,
    );

    if (what.kind === 'phase' && what.fault === 'power-cut' && injected) {
      p.log('power back on; following the boot');
      await board.power.on();
      await expectOsBack(board, device, `the device after a power cut in ${what.at}`).catch((e: Error) => {
        if (!(e instanceof ProductWaitError)) throw e;
        p.log(`the device did not come back: ${e.message.split('\n')[0]}`);
      });
    } else if (what.kind === 'new-os' && run?.exitCode === 0) {
      const spareLabel = before.activeRoot.label === 'resin-rootA' ? 'resin-rootB' : 'resin-rootA';
      const spare = before.partitions.find((x) => x.label === spareLabel);
      if (!spare)
        throw new InfraError(`no ${spareLabel} partition on the device: ${JSON.stringify(before.partitions)}`);
      p.log(`FAULT: ${what.fault.name} applied to the new OS on ${spare.device}`);
      await what.fault.apply({ device, newRootDevice: spare.device });
      const firstEvent = board.console.bootEvents.events.length;
      const firstLine = board.console.lines.length;
      await device.exec('(sleep 1; reboot) < /dev/null > /dev/null 2>&1 &');
      await device.disconnect();
      const bootMs = rigConfig.bootTimeoutSeconds * 1000;
      p.log(`rebooting into the broken OS; waiting for ${what.fault.caughtBy} to roll back`);
      const settle =
        what.fault.caughtBy === 'altboot'
          ? /\[rollback-altboot\] boot settings restored/
          : what.fault.caughtBy === 'health'
            ? /\[rollback-health\] failed/
            : /\[rollback-altboot\] boot settings restored/;
      const budget =
        what.fault.caughtBy === 'altboot'
          ? bootMs * (BOOT_LIMIT + 2)
          : bootMs * 2 + testHealthWindow.count * testHealthWindow.timeoutSeconds * 1000;
      await expectOnConsole(board, settle, { timeoutMs: budget, what: `the rollback by ${what.fault.caughtBy}` }).catch(
        (e: Error) => {
          if (!(e instanceof ProductWaitError)) throw e;
          p.log(`no rollback seen: ${e.message.split('\n')[0]}`);
        },
      );
      await expectOsBack(board, device, 'the old OS after the rollback');
      const state = await device.snapshot();
      const v = rollbackVerdict({
        events: board.console.bootEvents.events.slice(firstEvent),
        stateFiles: state.stateFiles,
        consoleText: board.console.lines
          .slice(firstLine)
          .map((l) => l.text)
          .join('\n'),
        finalRoot: state.activeRoot.label ?? `partition ${state.activeRoot.partition}`,
        finalVersion: state.osRelease.VERSION ?? '?',
      });
      verdict = `${what.fault.name}: ${v.line}`;
      ok = v.mechanism === what.fault.caughtBy && state.osRelease.VERSION === entry.path.from.version;
    }

    await expectOnDevice(
      board,
      'SSH on the device after the update',
      (timeoutMs) => device.connect(timeoutMs),
      rigConfig.bootTimeoutSeconds * 1000,
    );
    after = await device.snapshot();
    const version = after.osRelease.VERSION;
    const dataKept = JSON.stringify(await dataChecksums(device)) === JSON.stringify(sumsBefore);
    const where = `running ${version} from ${after.activeRoot.label} (resin_root_part=${after.bootEnv.resin_root_part ?? '?'}, upgrade_available=${after.bootEnv.upgrade_available ?? '?'}); resin-data ${dataKept ? 'intact' : 'CHANGED'}`;
    if (what.kind === 'clean') {
      ok = run?.exitCode === 0 && version === entry.path.to.version && dataKept;
      verdict = `${ok ? 'updated' : 'NOT updated'}: ${where}`;
    } else if (what.kind === 'phase' && what.fault === 'power-cut') {
      const { outcome, detail } = classifyOutcome(before, after, entry.path.to);
      const g = what.guarantee;
      ok = (g ? meetsGuarantee(g.guarantee, outcome) : outcome === 'old-os' || outcome === 'new-os') && dataKept;
      verdict = `power cut in ${what.at}${run?.injected ? ` ${(run.injected.atMs / 1000).toFixed(1)}s into the run` : ' (never reached)'}: came back as ${outcome} (${detail}); guarantee ${g ? `${g.guarantee}: ${g.why}` : 'none listed: old or new OS, whole'}; ${where}`;
    } else if (what.kind === 'phase') {
      const updated = run?.exitCode === 0 && version === entry.path.to.version;
      const refused = run !== undefined && run.exitCode !== 0 && version === entry.path.from.version;
      ok = (updated || refused) && dataKept;
      verdict = `network down in ${what.at}: the updater ${updated ? 'finished the update' : refused ? `failed cleanly (${run?.error ?? `exit ${run?.exitCode}`})` : `left the device in between (exit ${run?.exitCode})`}; ${where}`;
    } else {
      verdict = `${verdict}; ${where}`;
      ok &&= dataKept;
    }
  } catch (error) {
    const infra = error instanceof InfraError;
    verdict = `${infra ? 'INFRASTRUCTURE FAULT (the rig, not the product)' : 'ERROR'}: ${(error as Error).message}`;
    p.log(verdict);
    if (rig) p.log(`last console lines:\n${rig.console.tail(15)}`);
  } finally {
    p.stop();
  }

  const markdown = `# hupbench run: ${rigConfig.name}, ${label}\n\n**${ok ? 'as expected' : 'NOT as expected'}**: ${verdict}\n\nRegistry served ${((await registryBytes().catch(() => 0)) / 2 ** 20).toFixed(1)} MiB after the updater started.\n`;
  if (rig) {
    const files = await writeRunEvidence(resultsDir, {
      rig,
      run,
      before,
      after,
      registryBytes: await registryBytes().catch(() => 0),
      title: `${rigConfig.name}: ${label}`,
      verdict: markdown,
    });
    p.log(`evidence: ${resultsDir}/ (${files.join(', ')})`);
  }
  console.log(`\n${ok ? 'OK' : 'FAILED'}: ${verdict}`);

  if (opts.keep && rig) {
    const ssh = (() => {
      try {
        return sshCommand(rig);
      } catch {
        return '(no SSH endpoint: the board is off)';
      }
    })();
    console.log(
      `\nThe device stays up (--keep).\n  SSH, from another terminal:  ${ssh}\n  Console: this terminal, from now on (Ctrl-] leaves, powers the board off and cleans up).\n  Evidence so far: ${resultsDir}/serial-console.log (rewritten when you leave)\n`,
    );
    const firstLine = Math.max(0, rig.console.lines.length - 5);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await consoleSession(rig, { fromLine: firstLine });
    await writeRunEvidence(resultsDir, {
      rig,
      run,
      before,
      after,
      registryBytes: 0,
      title: `${rigConfig.name}: ${label}`,
      verdict: markdown,
    }).catch(() => undefined);
  }
  await cleanup();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  return ok ? 0 : verdict.startsWith('INFRASTRUCTURE') ? 3 : 1;
}
