import { test, expect } from '@playwright/test';
import { listRigFiles, loadRigConfig, parseRigConfig } from '../../harness/rig/rig-config.ts';

test('every shipped rig file is valid', async () => {
  for (const file of await listRigFiles()) await expect(loadRigConfig(file)).resolves.toBeTruthy();
});

test('an unknown device type names the file, the field and the choices', () => {
  const yaml = 'name: my-rig\nkind: qemu\ndeviceType: beaglebone-white\n';
  expect(() => parseRigConfig(yaml, 'rigs/my-rig.yaml')).toThrow(
    /rigs\/my-rig.yaml is not a valid rig file:\n {2}deviceType: must be one of the known device types: beaglebone-black/,
  );
});

test('a wrong type and a missing field are both reported', () => {
  const yaml = 'name: my-rig\nkind: qemu\nmemoryMiB: lots\n';
  const error = (() => {
    try {
      parseRigConfig(yaml, 'rigs/my-rig.yaml');
    } catch (e) {
      return (e as Error).message;
    }
  })();
  expect(error).toContain('memoryMiB:');
  expect(error).toContain('deviceType:');
});

test('an unknown kind is refused', () => {
  expect(() =>
    parseRigConfig('name: my-rig\nkind: teleport\ndeviceType: beaglebone-black\n', 'rigs/my-rig.yaml'),
  ).toThrow(/kind/);
});

test('broken YAML and a name that does not match the file are clear errors', () => {
  expect(() => parseRigConfig('name: [unclosed', 'rigs/x.yaml')).toThrow(/rigs\/x.yaml: not valid YAML/);
  expect(() => parseRigConfig('name: other\nkind: qemu\ndeviceType: beaglebone-black\n', 'rigs/my-rig.yaml')).toThrow(
    /must match the file name/,
  );
});

test('an unknown rig lists the known ones', async () => {
  await expect(loadRigConfig('no-such-rig')).rejects.toThrow(/Known rigs: .*qemu-beaglebone-black/);
});
