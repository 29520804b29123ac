import { expect, test } from '@playwright/test';
import type { StartedRegistry } from '../../harness/registry/registry.ts';
import { releasePublisher } from '../../harness/scenarios/publisher.ts';

test('a publisher of a registry still starting: started throws until it is up, then is the registry', async () => {
  let up!: (r: StartedRegistry) => void;
  const starting = new Promise<StartedRegistry>((resolve) => {
    up = resolve;
  });
  const publisher = releasePublisher(starting, 'beaglebone-black');
  expect(() => publisher.started).toThrow(/still starting/);
  const registry = { client: {}, deviceUrl: 'http://10.0.2.2:5000' } as unknown as StartedRegistry;
  up(registry);
  expect(await publisher.ready()).toBe(registry);
  expect(publisher.started).toBe(registry);
});

test('a registry that did not start fails the publish with its own error', async () => {
  const failed = Promise.reject(new Error('the registry container did not answer'));
  const publisher = releasePublisher(failed, 'beaglebone-black');
  await expect(publisher.ready()).rejects.toThrow(/did not answer/);
  expect(() => publisher.started).toThrow(/still starting/);
});
