// apt's answers kept on disk: asked once while apt's lists stay as they are; a stored answer that no
// longer holds (its .deb files gone) is asked again.
import { expect, test } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { aptAnswer } from '../../images/lib/apt-answers.ts';

test('a stored answer is reused across calls, and asked again when it is no longer valid', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'hupbench-apt-'));
  try {
    let asked = 0;
    const compute = async () => {
      asked++;
      return [`answer-${asked}`];
    };
    const question = `test question ${process.pid}`;
    expect(await aptAnswer(question, compute, undefined, dir)).toEqual(['answer-1']);
    expect(await aptAnswer(question, compute, undefined, dir)).toEqual(['answer-1']);
    expect(asked).toBe(1);
    expect(await aptAnswer(question, compute, () => false, dir)).toEqual(['answer-2']);
    expect(await aptAnswer(`${question} (another)`, compute, undefined, dir)).toEqual(['answer-3']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
