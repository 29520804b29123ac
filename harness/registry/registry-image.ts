// The registry image, built locally: Docker Hub is out of reach. Debian's docker-registry binary,
// the C library it links, and our config.yml, `docker import`ed from a tarball into an image FROM
// scratch. Tagged by a hash of its inputs so an unchanged image is never rebuilt.
import { mkdir, cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';
import { cacheDir, hashInputs } from '../../images/lib/cache.ts';
import { download, extract } from '../../images/lib/debian-packages.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const registryConfigFile = path.join(here, 'config.yml');
export const REGISTRY_PORT = 5000;

export async function ensureRegistryImage(log: (line: string) => void = () => {}): Promise<string> {
  const arch = (await $`dpkg --print-architecture`).stdout.trim();
  const [deb] = await download(['docker-registry'], arch, cacheDir);
  const hash = await hashInputs([registryConfigFile, fileURLToPath(import.meta.url)], [path.basename(deb!)]);
  const image = `hupbench/registry:${hash}`;
  const present = await $({ nothrow: true, quiet: true })`docker image inspect ${image}`;
  if (present.exitCode === 0) return image;

  log(`building ${image} from ${path.basename(deb!)}`);
  const work = path.join(cacheDir, 'work', `registry-image-${process.pid}`);
  const tree = path.join(work, 'rootfs');
  await rm(work, { recursive: true, force: true });
  try {
    await extract([deb!], path.join(work, 'deb'));
    const binary = path.join(work, 'deb/usr/bin/docker-registry');
    await mkdir(path.join(tree, 'bin'), { recursive: true });
    await cp(binary, path.join(tree, 'bin/registry'));
    for (const lib of await sharedLibraries(binary)) await cp(lib, path.join(tree, lib), { dereference: true });
    await mkdir(path.join(tree, 'etc/docker/registry'), { recursive: true });
    await cp(registryConfigFile, path.join(tree, 'etc/docker/registry/config.yml'));
    await mkdir(path.join(tree, 'var/lib/registry'), { recursive: true });
    await mkdir(path.join(tree, 'tmp'), { recursive: true });
    const tarball = path.join(work, 'rootfs.tar');
    await $`tar --numeric-owner --owner=0 --group=0 -C ${tree} -cf ${tarball} .`;
    await $`docker import ${['-c', 'ENTRYPOINT ["/bin/registry"]', '-c', 'CMD ["serve", "/etc/docker/registry/config.yml"]', '-c', `EXPOSE ${REGISTRY_PORT}`, '-c', 'VOLUME /var/lib/registry']} ${tarball} ${image}`;
    log(`built ${image}`);
    return image;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The libraries (and dynamic loader) `ldd` says the binary needs, as absolute host paths. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const out = (await $({ nothrow: true })`ldd ${binary}`).stdout;
  if (/not a dynamic executable|statically linked/.test(out)) return [];
  const libs = [...out.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!);
  if (!libs.length) throw new Error(`ldd ${binary} listed no libraries:\n${out}`);
  return libs;
}
