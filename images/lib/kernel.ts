// Kernel and initramfs for the reference OS, from Debian's kernel package for the target arch.
import { $ } from 'zx';
import { copyFile, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface KernelTree {
  /** Directory the kernel package was unpacked into. */
  root: string;
  release: string;
  vmlinuz: string;
}

export async function findKernel(root: string): Promise<KernelTree> {
  const releases = await readdir(path.join(root, 'lib/modules'));
  if (releases.length !== 1)
    throw new Error(`Expected one kernel in ${root}/lib/modules, found ${releases.join(', ') || 'none'}`);
  const release = releases[0]!;
  // Note: the package ships no modules.dep (its postinst runs depmod); run it on the host.
  await $`/sbin/depmod -b ${root} ${release}`;
  return { root, release, vmlinuz: path.join(root, 'boot', `vmlinuz-${release}`) };
}

/** Module files (relative to lib/modules/<release>) for `names`, dependencies first, built-ins skipped. */
export async function moduleLoadOrder(kernel: KernelTree, names: string[]): Promise<string[]> {
  const dir = path.join(kernel.root, 'lib/modules', kernel.release);
  const deps = new Map<string, string[]>();
  for (const line of (await readFile(path.join(dir, 'modules.dep'), 'utf8')).split('\n')) {
    const [file, rest] = line.split(':');
    if (file) deps.set(file, rest!.trim().split(/\s+/).filter(Boolean));
  }
  const builtin = new Set((await readFile(path.join(dir, 'modules.builtin'), 'utf8')).split('\n').map(moduleName));
  const byName = new Map([...deps.keys()].map((file) => [moduleName(file), file]));
  const order: string[] = [];
  const visit = (file: string) => {
    if (order.includes(file)) return;
    // modules.dep lists the whole transitive closure; load the deepest dependencies first.
    for (const dep of [...deps.get(file)!].reverse()) visit(dep);
    order.push(file);
  };
  for (const name of names) {
    const file = byName.get(name.replace(/-/g, '_'));
    if (file) visit(file);
    else if (!builtin.has(name.replace(/-/g, '_')))
      throw new Error(`Kernel ${kernel.release} has no module "${name}" (neither built in nor loadable)`);
  }
  return order;
}

function moduleName(file: string): string {
  return path
    .basename(file)
    .replace(/\.ko(\.\w+)?$/, '')
    .replace(/-/g, '_');
}

/** Builds a gzip'd newc initramfs: static busybox, /init, the modules and their load order. */
export async function buildInitramfs(opts: {
  kernel: KernelTree;
  modules: string[];
  busybox: string;
  initScript: string;
  workDir: string;
  output: string;
}): Promise<void> {
  const tree = path.join(opts.workDir, 'initramfs');
  await $`rm -rf ${tree}`;
  for (const d of ['bin', 'dev', 'proc', 'sys', 'etc', 'lib/modules', 'newroot'])
    await mkdir(path.join(tree, d), { recursive: true });
  await copyFile(opts.busybox, path.join(tree, 'bin/busybox'));
  await $`chmod 755 ${path.join(tree, 'bin/busybox')}`;
  await copyFile(opts.initScript, path.join(tree, 'init'));
  await $`chmod 755 ${path.join(tree, 'init')}`;
  const order = await moduleLoadOrder(opts.kernel, opts.modules);
  const modDir = path.join(opts.kernel.root, 'lib/modules', opts.kernel.release);
  for (const file of order) {
    await mkdir(path.dirname(path.join(tree, 'lib/modules', file)), { recursive: true });
    await copyFile(path.join(modDir, file), path.join(tree, 'lib/modules', file));
  }
  await writeFile(path.join(tree, 'etc/modules.order'), `${order.join('\n')}\n`);
  await $`cd ${tree} && find . -print0 | sort -z | cpio --null -o -H newc --reproducible --quiet | gzip -9n > ${opts.output}`;
}

/**
 * Copies module folders (under lib/modules/<release>/kernel, like `fs` or `drivers/net/usb`) into the
 * root with the kernel's module indexes (depmod run on the root), so the OS can modprobe them. Real
 * hostOS images carry their board's drivers and filesystems: most of a release's size beside the engine.
 */
export async function installKernelModules(kernel: KernelTree, rootfs: string, folders: string[]): Promise<void> {
  if (!folders.length) return;
  const from = path.join(kernel.root, 'lib/modules', kernel.release);
  const to = path.join(rootfs, 'lib/modules', kernel.release);
  for (const folder of folders) {
    const source = path.join(from, 'kernel', folder);
    if (!(await stat(source).catch(() => undefined))?.isDirectory())
      throw new Error(
        `Kernel ${kernel.release} has no module folder kernel/${folder} (images/releases.yaml kernelModules)`,
      );
    await mkdir(path.dirname(path.join(to, 'kernel', folder)), { recursive: true });
    await $`cp -a ${source} ${path.dirname(path.join(to, 'kernel', folder))}/`;
  }
  for (const index of ['modules.order', 'modules.builtin', 'modules.builtin.modinfo'])
    await $`cp -a ${path.join(from, index)} ${to}/`.nothrow();
  await $`/sbin/depmod -b ${rootfs} ${kernel.release}`;
}
