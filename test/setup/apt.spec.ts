// The host setup against a bad mirror: apt-get and apt-cache are stub scripts that play what a
// fresh Debian 12 machine met (one index "Mirror sync in progress?", a package without a candidate).
import { test, expect } from '@playwright/test';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import {
  aptUpdate,
  HostSetupError,
  parseFailedIndexes,
  updateForPackages,
  type AptOptions,
  type NeededPackage,
} from '../../harness/setup/apt.ts';
import { describeSetupError } from '../../harness/setup/ensure-host.ts';

const securityArmhf = 'http://deb.debian.org/debian-security/dists/bookworm-security/main/binary-armhf/Packages.xz';

// What `apt-get update` printed on that machine (exit 100), every other index updated.
const mirrorSyncOutput = `E: Failed to fetch ${securityArmhf}  File has unexpected size (334084 != 354092). Mirror sync in progress? [IP: 203.0.113.80 80]
   Hashes of expected file:
    - Filesize:354092 [weak]
    - SHA256:1ac9c09287b9082bb968f21456704b6eb4333dc78ae61e894321b05a10692434
   Release file created at: Thu, 26 Nov 2026 21:03:35 +0000
E: Some index files failed to download. They have been ignored, or old ones used instead.
`;

const needed: NeededPackage[] = [
  { name: 'qemu-system-arm', provides: 'qemu-system-arm', why: 'emulates the boards' },
  { name: 'ipxe-qemu', provides: '/usr/lib/ipxe/qemu/efi-virtio.rom', why: "virtio-net-pci's option ROM" },
  {
    name: 'busybox-static:armhf',
    provides: 'the target package busybox-static:armhf',
    why: 'userland of the reference image',
  },
];

/**
 * apt-get: `update` prints `updateOutput` on stderr and exits `updateExit` (counting its calls);
 * apt-cache: `policy` answers with a candidate for every package except those in `noCandidate`.
 */
async function stubApt(
  dir: string,
  o: { updateOutput: string; updateExit: number; succeedOnAttempt?: number; noCandidate?: string[] },
): Promise<AptOptions & { calls: () => Promise<number> }> {
  await mkdir(dir, { recursive: true });
  const calls = path.join(dir, 'update-calls');
  await writeFile(path.join(dir, 'update-output'), o.updateOutput);
  const aptGet = path.join(dir, 'apt-get');
  await writeFile(
    aptGet,
    `#!/bin/sh
[ "$1" = update ] || { echo "stub apt-get: unexpected $*" >&2; exit 2; }
n=$(( $(cat ${calls} 2>/dev/null || echo 0) + 1 )); echo $n > ${calls}
[ $n -ge ${o.succeedOnAttempt ?? 99} ] && { echo 'Reading package lists...'; exit 0; }
echo 'Reading package lists...'; cat ${path.join(dir, 'update-output')} >&2; exit ${o.updateExit}
`,
  );
  const aptCache = path.join(dir, 'apt-cache');
  await writeFile(
    aptCache,
    `#!/bin/sh
[ "$1" = policy ] || exit 2; shift
for p in "$@"; do
  case " ${(o.noCandidate ?? []).join(' ')} " in
    *" $p "*) echo "$p:"; echo "  Installed: (none)"; echo "  Candidate: (none)"; echo "  Version table:" ;;
    *) echo "$p:"; echo "  Installed: (none)"; echo "  Candidate: 1.0-1"; echo "  Version table:"; echo "     1.0-1 500" ;;
  esac
done
`,
  );
  await chmod(aptGet, 0o755);
  await chmod(aptCache, 0o755);
  return { aptGet, aptCache, pauseMs: 0, calls: async () => Number(await readFile(calls, 'utf8').catch(() => '0')) };
}

test("apt-get update: the failed index is named, with apt's reason, from its E: lines", () => {
  expect(parseFailedIndexes(mirrorSyncOutput)).toEqual([
    { index: securityArmhf, reason: 'File has unexpected size (334084 != 354092). Mirror sync in progress?' },
  ]);
  expect(
    parseFailedIndexes("W: Failed to fetch http://deb.example/dists/x/InRelease  Could not resolve 'deb.example'\n"),
  ).toEqual([{ index: 'http://deb.example/dists/x/InRelease', reason: "Could not resolve 'deb.example'" }]);
});

test('an index that keeps failing: retried, then one line names it and the setup goes on, every package having a candidate', async ({}, testInfo) => {
  const apt = await stubApt(testInfo.outputPath('apt'), { updateOutput: mirrorSyncOutput, updateExit: 100 });
  const lines: string[] = [];
  const update = await updateForPackages(needed, { ...apt, tries: 3, log: (l) => lines.push(l) });
  expect(await apt.calls()).toBe(3);
  expect(update).toMatchObject({ ok: false, attempts: 3, failed: [{ index: securityArmhf }] });
  const named = lines.filter((l) => l.includes(securityArmhf));
  // Two "again in …" lines while retrying, then the one line that says the setup goes on without it.
  expect(named).toHaveLength(3);
  expect(named.at(-1)).toBe(
    `apt-get update: index ${securityArmhf} (File has unexpected size (334084 != 354092). Mirror sync in progress?) failed after 3 tries; ` +
      'going on, every package hupbench needs has an install candidate from the other indexes',
  );
});

test('a mirror that recovers: the retry succeeds and nothing is reported as failed', async ({}, testInfo) => {
  const apt = await stubApt(testInfo.outputPath('apt'), {
    updateOutput: mirrorSyncOutput,
    updateExit: 100,
    succeedOnAttempt: 2,
  });
  const lines: string[] = [];
  const update = await aptUpdate({ ...apt, tries: 3, log: (l) => lines.push(l) });
  expect(update).toMatchObject({ ok: true, attempts: 2, failed: [] });
  expect(lines).toEqual([`apt-get update failed (attempt 1 of 3: ${securityArmhf}); again in 0s`]);
});

test('a needed package without a candidate stops the setup: the package, what it provides, why, what to run', async ({}, testInfo) => {
  const apt = await stubApt(testInfo.outputPath('apt'), {
    updateOutput: mirrorSyncOutput,
    updateExit: 100,
    noCandidate: ['ipxe-qemu'],
  });
  const error = await updateForPackages(needed, { ...apt, tries: 2 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HostSetupError);
  const message = describeSetupError(error);
  expect(message).toContain('ipxe-qemu: provides /usr/lib/ipxe/qemu/efi-virtio.rom');
  expect(message).toContain(`apt-get update failed 2 times: ${securityArmhf}`);
  expect(message).toContain('apt-get update && apt-cache policy ipxe-qemu');
  expect(message).not.toContain('qemu-system-arm:'); // it has a candidate
  expect(message).not.toMatch(/^\s+at /m); // no stack trace
});

test('a package no repository carries, after a clean update, is named the same way', async ({}, testInfo) => {
  const apt = await stubApt(testInfo.outputPath('apt'), {
    updateOutput: '',
    updateExit: 0,
    noCandidate: ['busybox-static:armhf'],
  });
  await expect(updateForPackages(needed, apt)).rejects.toThrow(
    /busybox-static:armhf: provides the target package busybox-static:armhf[\s\S]*Cause: apt-get update succeeded, so no configured repository carries it/,
  );
});

test('a failed command of the image builder is shown as its exit code and last lines, not a zx stack trace', async () => {
  const failure = await $({ quiet: true })`sh -c 'echo "E: Unable to locate package nope" >&2; exit 100'`.then(
    () => undefined,
    (e: unknown) => e,
  );
  const message = describeSetupError(failure);
  expect(message).toContain('a command failed (exit 100)');
  expect(message).toContain('E: Unable to locate package nope');
  expect(message).not.toMatch(/^\s+at /m);
});
