// apt's answers kept on disk: asked once while apt's lists stay as they are; a stored answer that no
// longer holds (its .deb files gone) is asked again.
import { expect, test } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

test('a stored answer is reused across calls, and asked again when it is no longer valid', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'hupbench-apt-'));
  process.env.HUPBENCH_CACHE = dir;
  try {
    const { aptAnswer } = await import('../../images/lib/apt-answers.ts');
    let asked = 0;
    const compute = async () => {
      asked++;
      return [`answer-${asked}`];
    };
    const question = `test question ${process.pid}`;
    expect(await aptAnswer(question, compute)).toEqual(['answer-1']);
    expect(await aptAnswer(question, compute)).toEqual(['answer-1']);
    expect(asked).toBe(1);
    expect(await aptAnswer(question, compute, () => false)).toEqual(['answer-2']);
    expect(await aptAnswer(`${question} (another)`, compute)).toEqual(['answer-3']);
  } finally {
    delete process.env.HUPBENCH_CACHE;
    await rm(dir, { recursive: true, force: true });
  }
});
