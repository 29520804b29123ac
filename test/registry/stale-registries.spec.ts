// A registry left behind by a run that was killed is removed by the next run's registry; one whose
// run is still going is not.
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { $ } from 'zx';
import { ensureDocker } from '../../harness/setup/docker.ts';
import { ensureRegistryImage } from '../../harness/registry/registry-image.ts';
import { removeStaleRegistries } from '../../harness/registry/stale-registries.ts';

const bootId = () => spawnSync('cat', ['/proc/sys/kernel/random/boot_id']).stdout.toString().trim();

async function leftRegistry(image: string, pid: number, boot = bootId()): Promise<string> {
  const created =
    await $`docker create --label org.hupbench.owner-pid=${pid} --label org.hupbench.boot-id=${boot} ${image}`.quiet();
  return created.stdout.trim();
}

const exists = async (id: string) => (await $`docker inspect ${id}`.nothrow().quiet()).exitCode === 0;

test('registries of runs that are gone are removed; a running run keeps its own', async () => {
  test.setTimeout(180_000);
  await ensureDocker();
  const image = await ensureRegistryImage();
  // A pid that has certainly ended: a child that ran and was reaped.
  const gonePid = spawnSync('true').pid!;
  const ids = {
    killed: await leftRegistry(image, gonePid),
    beforeReboot: await leftRegistry(image, process.pid, '00000000-0000-0000-0000-000000000000'),
    live: await leftRegistry(image, process.pid),
  };
  try {
    const lines: string[] = [];
    const removed = await removeStaleRegistries((l) => lines.push(l));
    expect(removed).toEqual(expect.arrayContaining([ids.killed.slice(0, 12), ids.beforeReboot.slice(0, 12)]));
    expect(await exists(ids.killed)).toBe(false);
    expect(await exists(ids.beforeReboot)).toBe(false);
    expect(await exists(ids.live)).toBe(true);
    expect(lines.join('\n')).toContain(`its run (pid ${gonePid}) is gone`);
  } finally {
    for (const id of Object.values(ids)) await $`docker rm -f -v ${id}`.nothrow().quiet();
  }
});
