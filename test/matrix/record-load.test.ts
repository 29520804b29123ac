// Which recorded durations the matrix estimate believes: records at a nightly's own load first, then
// loaded ones scaled by what the tests recorded both ways say, then those of unknown load.
import { test, expect } from '@playwright/test';
import { loadClass, loadCorrection, nightlyDuration, type RecordedPass } from '../../bench/record-load.ts';
import { hostLoadAnnotation, hostLoadOf } from '../../harness/report/host-load.ts';

const at = (ms: number, load: RecordedPass['load']): RecordedPass => ({ ms, load });

test('a run is classed by its measured load per core, else by the known windows, else unknown', () => {
  const t = new Date('2030-01-01T00:00:00Z');
  expect(loadClass({ mean: 3.2, max: 4, cores: 2 }, t)).toBe('nightly');
  expect(loadClass({ mean: 7.5, max: 11, cores: 2 }, t)).toBe('loaded');
  expect(loadClass(undefined, new Date('2026-11-29T19:00:00Z'))).toBe('loaded');
  expect(loadClass(undefined, t)).toBe('unknown');
});

test('the host-load annotation reads back as it was written', () => {
  const load = { mean: 2.61, max: 3.4, cores: 2 };
  expect(hostLoadOf([{ type: 'other', description: 'x' }, hostLoadAnnotation(load)])).toEqual(load);
  expect(hostLoadOf([])).toBeUndefined();
});

test('nightly records win; loaded ones alone are scaled by the median ratio of tests recorded both ways', () => {
  const both = [
    [at(100, 'nightly'), at(200, 'loaded')],
    [at(150, 'nightly'), at(250, 'loaded'), at(350, 'loaded')],
    [at(90, 'nightly'), at(120, 'loaded')],
    [at(500, 'unknown')],
  ];
  const c = loadCorrection(both);
  expect(c.tests).toBe(3);
  expect(c.factor).toBeCloseTo(0.5, 5);
  expect(nightlyDuration([at(100, 'nightly'), at(300, 'loaded'), at(50, 'unknown')], c)).toEqual({
    ms: 100,
    load: 'nightly',
  });
  expect(nightlyDuration([at(80, 'unknown'), at(300, 'loaded')], c)).toEqual({ ms: 150, load: 'loaded' });
  expect(nightlyDuration([at(80, 'unknown'), at(300, 'loaded')], { factor: 1, tests: 2 })).toEqual({
    ms: 80,
    load: 'unknown',
  });
  expect(nightlyDuration([at(300, 'loaded'), at(500, 'loaded')], c)).toEqual({ ms: 200, load: 'loaded' });
});

test('fewer than three tests recorded both ways give no correction', () => {
  expect(loadCorrection([[at(100, 'nightly'), at(200, 'loaded')]])).toEqual({ factor: 1, tests: 1 });
});
