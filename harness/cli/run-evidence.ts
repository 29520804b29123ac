// What `hupbench run` leaves in its results folder: the same evidence a suite attaches, as files
// (serial console whole and per boot, updater log, phases, bandwidth, DeviceState before/after as
// JSON and tables, the phase timeline), plus verdict.md.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { splitByBoot } from '../console/boot-split.ts';
import type { DeviceState } from '../device/device-state.ts';
import { renderDeviceStateHtml } from '../report/render/device-state-html.ts';
import { renderTimelineHtml, segmentsFromPhases, type TimelineSegment } from '../report/render/timeline-svg.ts';
import type { BoardStep } from '../board/steps.ts';
import type { Rig } from '../rig/rig.ts';
import type { HupRun } from '../updater/runner.ts';
import type { UpdateTraffic } from '../bandwidth/update-traffic-schema.ts';

export async function writeRunEvidence(
  dir: string,
  e: {
    rig: Rig;
    run?: HupRun;
    before?: DeviceState;
    after?: DeviceState;
    registryBytes: number;
    /** The whole update's bandwidth by component, phase and finding (harness/bandwidth/). */
    traffic?: UpdateTraffic;
    title: string;
    verdict: string;
    /** The board's steps (board-steps.json, as the suites attach it). */
    steps?: readonly BoardStep[];
    /** More files for the folder, by name (e.g. a profile run's profile.yaml and profile-check.json). */
    extra?: Record<string, string>;
  },
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const put = async (name: string, body: string) => {
    await writeFile(path.join(dir, name), body);
    written.push(name);
  };
  const transcript = e.rig.console.transcript();
  await put('serial-console.log', transcript || '(console silent)');
  const boots = transcript ? splitByBoot(transcript) : [];
  if (boots.length > 1) for (const [i, body] of boots.entries()) await put(`serial-console-boot-${i + 1}.log`, body);
  await put('boot-events.json', JSON.stringify(e.rig.console.bootEvents.events, null, 2));
  if (e.steps) await put('board-steps.json', JSON.stringify(e.steps, null, 2));
  if (e.run) {
    await put('updater.log', e.run.log);
    await put('phases.json', JSON.stringify(e.run.phases, null, 2));
    const segments: TimelineSegment[] = segmentsFromPhases(e.run.phases);
    if (e.run.rebootMs !== undefined)
      segments.push({
        name: 'reboot (to login + SSH)',
        startMs: e.run.durationMs,
        durationMs: e.run.sshBackMs ?? e.run.rebootMs,
      });
    await put('phase-timeline.html', renderTimelineHtml(segments, e.title));
    await put(
      'bandwidth.json',
      JSON.stringify(
        {
          path: e.title,
          rig: e.rig.config.name,
          bytesReceived: e.run.bytesReceived,
          bytesSent: e.run.bytesSent,
          receivedMiB: e.run.bytesReceived / 2 ** 20,
          sentMiB: e.run.bytesSent / 2 ** 20,
          registryBytesServed: e.registryBytes,
          ...(e.traffic && { update: e.traffic }),
        },
        null,
        2,
      ),
    );
  }
  if (e.before || e.after) {
    const states = { before: e.before, after: e.after };
    await put('device-state.json', JSON.stringify(states, null, 2));
    await put('device-state.html', renderDeviceStateHtml(states, `Device state: ${e.title}`));
  }
  for (const [name, body] of Object.entries(e.extra ?? {})) await put(name, body);
  await put('verdict.md', e.verdict);
  return written;
}
