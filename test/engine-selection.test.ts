// The device engine is chosen by HUPBENCH_ENGINE: unset is moby (Debian's engine), with larger roots
// and card; lean (the shell model) keeps the DESIGN.md layout; anything else is refused naming the choices.
import { test, expect } from '@playwright/test';
import { selectedEngine } from '../images/lib/engine.ts';
import { cardBytesFor, layoutFor, layouts, CARD_SIZE_BYTES } from '../images/lib/layout.ts';

test('unset or empty HUPBENCH_ENGINE is the moby engine; lean (or its old name shell) is taken as named', () => {
  expect(selectedEngine({})).toBe('moby');
  expect(selectedEngine({ HUPBENCH_ENGINE: ' ' })).toBe('moby');
  expect(selectedEngine({ HUPBENCH_ENGINE: 'lean' })).toBe('lean');
  expect(selectedEngine({ HUPBENCH_ENGINE: 'shell' })).toBe('lean');
});

test('an unknown engine is refused, naming the known ones', () => {
  expect(() => selectedEngine({ HUPBENCH_ENGINE: 'balena' })).toThrow(/HUPBENCH_ENGINE="balena".*moby, lean/);
});

test('the lean engine keeps the DESIGN.md layout and a 1 GiB card', () => {
  for (const name of ['1.x', '2.x'] as const) expect(layoutFor(name, 'lean')).toEqual(layouts[name]);
  expect(cardBytesFor('lean')).toBe(CARD_SIZE_BYTES);
});

test('the moby engine grows only the two roots, and its card still leaves resin-data room', () => {
  for (const name of ['1.x', '2.x'] as const) {
    const moby = layoutFor(name, 'moby');
    expect(moby.map((p) => p.label)).toEqual(layouts[name].map((p) => p.label));
    for (const p of moby) {
      const base = layouts[name].find((b) => b.number === p.number)!;
      if (p.number === 2 || p.number === 3) expect(p.sizeMiB!).toBeGreaterThan(base.sizeMiB!);
      else expect(p.sizeMiB).toBe(base.sizeMiB);
    }
    const fixed = moby.reduce((sum, p) => sum + (p.sizeMiB ?? 0), 0);
    expect(cardBytesFor('moby') / 2 ** 20 - fixed).toBeGreaterThan(1024);
  }
});
