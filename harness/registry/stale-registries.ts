// Registries whose run is gone. A run removes its registry when its scope ends, but a run that is
// killed (SIGKILL, a CI timeout, a host's OOM killer) cannot, and Ryuk, testcontainers' reaper, would
// have to come from Docker Hub. So every registry is labelled with the process that owns it and the
// host's boot, and each new registry first removes those whose owner is no longer running.
import { readFileSync } from 'node:fs';
import { $ } from 'zx';

const OWNER_LABEL = 'org.hupbench.owner-pid';
const BOOT_LABEL = 'org.hupbench.boot-id';

function bootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

/** The labels that let a later run tell whether this registry's owner is still running. */
export function ownerLabels(): Record<string, string> {
  return { [OWNER_LABEL]: String(process.pid), [BOOT_LABEL]: bootId() };
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes hupbench registries whose owner process is gone (or ran before the host last booted). */
export async function removeStaleRegistries(log: (line: string) => void = () => undefined): Promise<string[]> {
  const listed =
    await $`docker ps -a --filter label=${OWNER_LABEL} --format ${`{{.ID}} {{.Label "${OWNER_LABEL}"}} {{.Label "${BOOT_LABEL}"}}`}`
      .nothrow()
      .quiet();
  if (listed.exitCode !== 0) return [];
  const boot = bootId();
  const stale = listed.stdout
    .split('\n')
    .map((line) => line.trim().split(' '))
    .filter(([id, pid, bootOf]) => id && (bootOf !== boot || !running(Number(pid))))
    .map(([id, pid]) => ({ id: id!, pid }));
  for (const { id, pid } of stale) {
    await $`docker rm -f -v ${id}`.nothrow().quiet();
    log(`removed registry container ${id}: its run (pid ${pid}) is gone`);
  }
  return stale.map((s) => s.id);
}
