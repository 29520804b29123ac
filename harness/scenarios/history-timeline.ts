// A history's timeline: one row per step, with the boot events the console showed during it and the
// device's boot-selection state after it, so a failure shows which step left the state that broke
// the next. Pure (rows in, markdown out), so the rendering is unit-tested.
import type { DeviceState } from '../device/device-state.ts';

/** What a step left on the device, in the words of the boot-selection contract. */
export interface StepState {
  version: string;
  /** The label of the running root (`resin-rootA`). */
  activeRoot: string;
  resinRootPart: string;
  upgradeAvailable: string;
  /** bootcount.env on resin-boot: U-Boot is counting a trial's boots. */
  bootcountEnv: boolean;
  /** Files in /mnt/state, sorted. */
  stateFiles: string[];
  /** resin-data checksums equal to the ones taken when the history started (or to the new reference). */
  dataIntact: boolean;
  /** This step changed resin-data on purpose: its checksums are the reference from here on. */
  dataRebased?: boolean;
}

export interface BoardStepRow {
  name: string;
  durationMs: number;
  status: 'passed' | 'failed';
  /** Boot events the console showed during the board step (`bootloader`, `bootcount=1`, `login`…). */
  events?: string[];
}

export interface HistoryRow {
  /** 1-based. */
  index: number;
  step: string;
  startedAt: number;
  durationMs: number;
  status: 'passed' | 'failed';
  error?: string;
  /** Boots the console saw during the step. */
  boots: number;
  /** Boot events during the step, in order. */
  bootEvents: string[];
  /** The bootcount values U-Boot printed during the step, in order. */
  bootcounts: number[];
  /** The board strategy's steps during this one. */
  boardSteps: BoardStepRow[];
  /** Missing when the step failed before the state could be read. */
  state?: StepState;
}

export interface HistoryTimeline {
  history: string;
  rig: string;
  deviceType: string;
  wallMs: number;
  rows: HistoryRow[];
}

/** The boot-selection view of a DeviceState, and whether resin-data is as it was. */
export function stepState(state: DeviceState, dataIntact: boolean): StepState {
  return {
    version: state.osRelease.VERSION ?? '?',
    activeRoot: state.activeRoot.label ?? `partition ${state.activeRoot.partition}`,
    resinRootPart: state.bootEnv.resin_root_part ?? '-',
    upgradeAvailable: state.bootEnv.upgrade_available ?? '-',
    bootcountEnv: Object.hasOwn(state.bootFiles, './bootcount.env'),
    stateFiles: [...state.stateFiles].sort(),
    dataIntact,
  };
}

/** The bootcount values among boot events described as `bootcount=N`. */
export function bootcountsOf(events: string[]): number[] {
  return events.flatMap((e) => {
    const m = e.match(/^bootcount=(\d+)$/);
    return m ? [Number(m[1])] : [];
  });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The timeline as a markdown table, one row per step. */
export function timelineMarkdown(t: HistoryTimeline): string {
  const head = [
    `### ${t.history} (${t.rig}, ${seconds(t.wallMs)})`,
    '',
    '| # | step | result | time | boots | U-Boot bootcount | version | root | resin_root_part | upgrade_available | bootcount.env | /mnt/state | resin-data |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const rows = t.rows.map((r) => {
    const s = r.state;
    const result = r.status === 'passed' ? 'ok' : `FAILED: ${r.error ?? ''}`;
    const counts = r.bootcounts.length ? r.bootcounts.join(', ') : '-';
    const state = s
      ? [
          s.version,
          s.activeRoot,
          s.resinRootPart,
          s.upgradeAvailable,
          s.bootcountEnv ? 'yes' : 'no',
          s.stateFiles.join(' ') || '(empty)',
          s.dataIntact ? (s.dataRebased ? 'intact (new reference)' : 'intact') : 'CHANGED',
        ]
      : Array(7).fill('?');
    return `| ${[r.index, r.step, result, seconds(r.durationMs), r.boots, counts, ...state].map((c) => cell(String(c))).join(' | ')} |`;
  });
  const events = t.rows
    .filter((r) => r.bootEvents.length)
    .map((r) => `- step ${r.index} boot events: ${r.bootEvents.join(' → ')}`);
  return [...head, ...rows, '', ...events, ''].join('\n');
}
