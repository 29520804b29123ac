import { test, expect } from '@playwright/test';
import { appDowntime } from '../../harness/device/heartbeat-gaps.ts';

const seq = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('a gap the whole device shared (its ticker silent too) is not app downtime', () => {
  const beats = [...seq(100, 110), ...seq(117, 130)]; // 7 s without a heartbeat
  const ticks = [...seq(95, 110), ...seq(117, 135)]; // the ticker silent over the same 7 s
  expect(appDowntime(beats, ticks)).toEqual({ gap: 1, at: 100, deviceStall: 7 });
});

test('a gap while the ticker kept ticking is app downtime', () => {
  const beats = [...seq(100, 110), ...seq(117, 130)];
  const ticks = seq(95, 135);
  expect(appDowntime(beats, ticks)).toMatchObject({ gap: 7, at: 110, deviceStall: 1 });
});

test('a gap outside the ticker span is never excused, and a partial stall only excuses its part', () => {
  expect(appDowntime([...seq(80, 85), ...seq(92, 100)], seq(95, 135)).gap).toBe(7);
  const beats = [...seq(100, 110), ...seq(120, 125)]; // 10 s gap
  const ticks = [...seq(95, 112), ...seq(116, 130)]; // only 4 s of it shared
  expect(appDowntime(beats, ticks).gap).toBe(7);
});
