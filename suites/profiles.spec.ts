// @profile: every device profile in profiles/ on every rig of its device type, so a field failure,
// once reproduced, stays reproduced. Each profile's device is built (card and steps over SSH),
// checked field by field against the profile before the update, updated to the newest release along
// its path class (harness/profile/profile-target.ts) under the profile's link conditions, and judged
// against what the profile expects (updated, or refused with its words). profile.yaml and the checks
// before and after the update are attached.
import { readdirSync, readFileSync } from 'node:fs';
import nodePath from 'node:path';
import {
  test,
  expect,
  allPaths,
  bootProfileSource,
  parseProfile,
  newestPathFor,
  updateProfiled,
  describeRun,
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
    { tag: ['@profile'] },
    async ({ rig, scenario }, testInfo) => {
      test.skip(rig.deviceType !== profile.device.type, `a ${profile.device.type} profile`);
      test.skip(Boolean(profile.history), 'replaying a history is the histories suite’s (suites/history*.spec.ts)');
      // Note: a shaped link's pull and a big data set's backup take their own time under TCG.
      test.setTimeout(75 * 60_000);
      await testInfo.attach('profile.yaml', { body: text, contentType: 'text/yaml' });
      const profiled = await test.step('build the device of the profile and check it field by field', () =>
        bootProfileSource(scenario, path, profile, file));
      await testInfo.attach('profile-check-before.json', {
        body: JSON.stringify({ checks: profiled.checks, captured: profiled.captured }, null, 2),
        contentType: 'application/json',
      });
      const played = await test.step(`update to ${path.to.version} under the profile's link`, () =>
        updateProfiled(scenario, profile, profiled, (l) => rig.console.note(l)));
      await testInfo.attach('profile-check-after.json', {
        body: JSON.stringify(played.after ?? null, null, 2),
        contentType: 'application/json',
      });
      const how = played.run ? describeRun(played.run) : 'no run';
      expect(played.judgement.ok, `${played.judgement.line}\n${how}`).toBe(true);
    },
  );
}
