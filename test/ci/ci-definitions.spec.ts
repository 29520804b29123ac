// The nightly CI definitions that ship (.github/workflows/nightly.yml, .gitlab-ci.yml) stay valid:
// `npm run lint:ci` checks the workflow against GitHub's schema and the GitLab file against the
// keywords it uses and the hupbench commands its scripts call.
import { test, expect } from '@playwright/test';
import { execFile } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

test('the shipped CI definitions validate', async () => {
  const out = await new Promise<{ code: number; text: string }>((resolve) => {
    execFile(
      path.join(root, 'node_modules/.bin/tsx'),
      ['.ci/validate-ci.ts'],
      { cwd: root, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, text: `${stdout}${stderr}` });
      },
    );
  });
  expect(out.code, out.text).toBe(0);
  expect(out.text).toMatch(/CI definitions valid: 1 GitHub workflow\(s\)/);
});
