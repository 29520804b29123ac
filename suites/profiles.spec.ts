// @profile: every device profile in profiles/ on every rig of its device type, so a field failure,
// once reproduced, stays reproduced; listed only for the rigs of the profile's device type (its
// @device-type tag, playwright.config.ts). Each profile's device is built (card and steps over SSH),
// checked field by field against the profile, its history replayed if it names one, updated to the newest release along
// its path class (harness/profile/profile-target.ts) under the profile's link conditions, and judged
// against what the profile expects (updated, or refused with its words). profile.yaml and the checks
// before and after the update are attached.
// And the round trip: `hupbench profile capture` (the CLI, over SSH) of a device built from a profile
// gives back an equivalent profile, within the tolerances of harness/profile/compare-profiles.ts.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import nodePath from 'node:path';
import { promisify } from 'node:util';
import {
  test,
  expect,
  allPaths,
  bootProfileSource,
  parseProfile,
  newestPathFor,
  compareProfiles,
  mismatchLines,
  updateProfiled,
  describeRun,
  deviceTypeTag,
  recordTestData,
  attachHistoryTimeline,
  pathRecord,
  bandwidthRecord,
  type ProfiledSource,
  type UpgradePath,
} from '../harness/index.ts';
import { loadReleases } from '../images/lib/releases.ts';

const dir = nodePath.resolve(import.meta.dirname, '../profiles');
const paths: UpgradePath[] = allPaths(await loadReleases());
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

for (const f of files) {
  const file = nodePath.join(dir, f);
  const text = readFileSync(file, 'utf8');
  const profile = parseProfile(text, `profiles/${f}`);
  const path = newestPathFor(profile, paths);
  if (!path) continue;
  test(
    `profile: ${profile.name} (${profile.device.type}, ${path.name})`,
    { tag: ['@profile', deviceTypeTag(profile.device.type)] },
    async ({ rig, scenario }, testInfo) => {
      // Note: a shaped link's pull and a big data set's backup take their own time under TCG; a
      // replayed rollback, up to a boot per boot-limit count.
      test.setTimeout((profile.history ? 105 : 75) * 60_000);
      await testInfo.attach('profile.yaml', { body: text, contentType: 'text/yaml' });
      await recordTestData(testInfo, 'path', pathRecord(path, `profile ${profile.name}`));
      const build = `build the device of the profile and check it field by field${profile.history ? `, then replay its history (${profile.history})` : ''}`;
      const profiled = await test.step(build, () =>
        bootProfileSource(scenario, path, profile, file).catch(
          async (e: Error & { history?: ProfiledSource['history'] }) => {
            if (e.history) await attachHistoryTimeline(testInfo, e.history.timeline, e.history.markdown);
            throw e;
          },
        ),
      );
      if (profiled.history) await attachHistoryTimeline(testInfo, profiled.history.timeline, profiled.history.markdown);
      await testInfo.attach('profile-check-before.json', {
        body: JSON.stringify({ checks: profiled.checks, captured: profiled.captured }, null, 2),
        contentType: 'application/json',
      });
      const played = await test.step(`update to ${path.to.version} under the profile's link`, () =>
        updateProfiled(scenario, profile, profiled, (l) => rig.console.note(l)));
      if (played.run)
        await recordTestData(testInfo, 'bandwidth', bandwidthRecord(played.run, undefined, played.traffic));
      await testInfo.attach('profile-check-after.json', {
        body: JSON.stringify(played.after ?? null, null, 2),
        contentType: 'application/json',
      });
      const how = played.run ? describeRun(played.run) : 'no run';
      expect(played.judgement.ok, `${played.judgement.line}\n${how}`).toBe(true);
    },
  );
}

/** Profiles whose round trip runs: one 2.x (WiFi as keyfiles, keys, data groups, a fill) and one 1.x (root changes). */
const roundTrips = ['wifi-networks-2x.yaml', 'etc-modified-1x.yaml'].filter((f) => files.includes(f));
const root = nodePath.resolve(import.meta.dirname, '..');

for (const f of roundTrips) {
  const file = nodePath.join(dir, f);
  const profile = parseProfile(readFileSync(file, 'utf8'), `profiles/${f}`);
  const path = newestPathFor(profile, paths);
  if (!path) continue;
  test(
    `profile round trip: ${profile.name}: capture of the device built from it gives back an equivalent profile`,
    { tag: ['@profile', deviceTypeTag(profile.device.type)] },
    async ({ rig, scenario }, testInfo) => {
      test.setTimeout(30 * 60_000);
      const profiled = await test.step('build the device of the profile', () =>
        bootProfileSource(scenario, path, profile, file));
      const out = testInfo.outputPath('captured.yaml');
      const ssh = rig.sshEndpoint();
      await test.step('hupbench profile capture over SSH', () =>
        promisify(execFile)(
          process.execPath,
          [
            nodePath.join(root, 'bin/hupbench.js'),
            'profile',
            'capture',
            '--rig',
            rig.config.name,
            '--ssh',
            `${ssh.host}:${ssh.port}`,
            '--out',
            out,
            '--name',
            profile.name,
          ],
          { cwd: root, timeout: 10 * 60_000 },
        ));
      const text = readFileSync(out, 'utf8');
      await testInfo.attach('captured.yaml', { body: text, contentType: 'text/yaml' });
      const captured = parseProfile(text, out);
      const supervisor = profile.device.supervisor ?? path.from.supervisor;
      expect(
        mismatchLines(compareProfiles(profile, captured, { supervisor })),
        'the capture says what the profile said',
      ).toEqual([]);
      expect(
        mismatchLines(compareProfiles(captured, profiled.captured, { supervisor })),
        'the captured profile describes the device as the pre-update check saw it',
      ).toEqual([]);
    },
  );
}
