// `npm run check:fresh-host`: what `npm ci && npm test` meets on a new Debian 12 machine, up to
// "every rig's QEMU starts". A minimal Debian 12 root (mmdebstrap --variant=minbase, from Debian's
// mirror, with the security suite as a fresh install has it) gets a copy of the checkout (its
// tracked files, no node_modules), runs `npm ci`, then the host setup's install branch
// (harness/setup/ensure-host.ts: foreign architectures, apt-get update, installs, the rig start
// check). It prints the packages that installed and how long each part took.
//
// Node: the CI machine comes with Node 20 and npm (.ci/run's contract), a Debian root does not, so
// this host's `node` binary and npm are bind-mounted into the root read-only; npm's certificate
// bundle setting (cafile) is passed on, so `npm ci` reaches the registry as it does here. Service
// starts are refused inside the root (policy-rc.d), as in any chroot: dockerd is not started.
// Everything runs in its own mount and PID namespaces (unshare): /proc, /dev and /sys mounts and any
// process left behind vanish with it, whatever way the check ends.
// Needs root. Downloads a few hundred MB; not part of `npm test`. `-- --keep` keeps the root after a pass.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, rm, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../../images/lib/cache.ts';
import { projectRoot } from '../project-root.ts';
import { aptInstall, candidates, HostSetupError, runCommand, updateForPackages } from './apt.ts';
import { describeSetupError } from './ensure-host.ts';

const log = (m: string) => console.log(`[fresh-host] ${m}`);
const workDir = path.join(cacheDir, 'fresh-host');
const root = path.join(workDir, 'root');
const checkoutInRoot = '/hupbench';
const debianSources = [
  'deb http://deb.debian.org/debian bookworm main',
  'deb http://deb.debian.org/debian bookworm-updates main',
  'deb http://deb.debian.org/debian-security bookworm-security main',
];

/** Runs a command with its output on this terminal; resolves with its exit code. */
function runLive(argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    child.on('error', (e) => {
      console.error(`[fresh-host] ${argv[0]}: ${e.message}`);
      resolve(127);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function ensureMmdebstrap(): Promise<void> {
  if ((await runCommand(['sh', '-c', 'command -v mmdebstrap'])).exitCode === 0) return;
  log('installing mmdebstrap (apt-get install --no-install-recommends mmdebstrap)');
  const need = [{ name: 'mmdebstrap', provides: 'mmdebstrap', why: 'builds the fresh Debian 12 root' }];
  if (!(await candidates(['mmdebstrap'])).get('mmdebstrap')) await updateForPackages(need, { log });
  await aptInstall(['mmdebstrap']);
}

async function installedPackages(): Promise<Map<string, { version: string; kib: number }>> {
  const out = await runCommand([
    'chroot',
    root,
    'dpkg-query',
    '-W',
    '-f',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} format, not a JS template
    '${binary:Package}\\t${Version}\\t${Installed-Size}\\t${db:Status-Abbrev}\\n',
  ]);
  const packages = new Map<string, { version: string; kib: number }>();
  for (const line of out.stdout.split('\n')) {
    const [name, version, size, status] = line.split('\t');
    if (name && status?.startsWith('ii'))
      packages.set(name.replace(/:amd64$/, ''), { version: version!, kib: Number(size) || 0 });
  }
  return packages;
}

/** The checkout's tracked files, as they are in the working tree, under the root's /hupbench. */
async function copyCheckout(): Promise<number> {
  const listed = await runCommand(['git', '-C', projectRoot, 'ls-files', '-z']);
  if (listed.exitCode !== 0) throw new HostSetupError(`git ls-files failed in ${projectRoot}: ${listed.stderr.trim()}`);
  const files = listed.stdout.split('\0').filter((f) => f && existsSync(path.join(projectRoot, f)));
  const list = path.join(workDir, 'files.list');
  await writeFile(list, files.join('\0'));
  const dest = path.join(root, checkoutInRoot);
  await mkdir(dest, { recursive: true });
  const copy = await runCommand(
    ['sh', '-c', 'tar -C "$1" --null -T "$2" -cf - | tar -C "$3" -xf -', 'sh', projectRoot, list, dest],
    120_000,
  );
  if (copy.exitCode !== 0) throw new HostSetupError(`copying the checkout into ${dest} failed: ${copy.stderr.trim()}`);
  return files.length;
}

/** The part inside the namespaces: mounts, then `npm ci` and the setup in a chroot. */
function insideScript(npmCafile: string | undefined): string {
  const node = realpathSync(process.execPath);
  const npmDir = path.resolve(path.dirname(realpathSync(path.join(path.dirname(process.execPath), 'npm'))), '..');
  const bindRo = (src: string, dst: string) => `mount --bind ${src} "$R${dst}" && mount -o remount,bind,ro "$R${dst}"`;
  return `#!/bin/bash
set -euo pipefail
R=$1
mount -t proc proc "$R/proc"
mount -t sysfs sys "$R/sys"
mount --rbind /dev "$R/dev"
touch "$R/usr/local/bin/node"; mkdir -p "$R/usr/local/lib/node_modules/npm"
${bindRo(node, '/usr/local/bin/node')}
${bindRo(npmDir, '/usr/local/lib/node_modules/npm')}
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/local/bin/npx"
${npmCafile ? `mkdir -p "$R/etc/hupbench-host"; cp ${npmCafile} "$R/etc/hupbench-host/npm-ca.crt"` : ''}
cp /etc/resolv.conf "$R/etc/resolv.conf"
exec chroot "$R" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \\
  CI=true DEBIAN_FRONTEND=noninteractive TESTCONTAINERS_RYUK_DISABLED=true ${npmCafile ? 'npm_config_cafile=/etc/hupbench-host/npm-ca.crt' : ''} \\
  /bin/bash -c '
    set -euo pipefail
    cd ${checkoutInRoot}
    echo "[fresh-host] node $(node --version), npm $(npm --version), $(nproc) cores"
    t=$(date +%s); npm ci --no-audit --no-fund; echo "[fresh-host] npm ci: $(( $(date +%s) - t )) s"
    t=$(date +%s); npx tsx harness/setup/ensure-host.ts; echo "[fresh-host] ensure-host: $(( $(date +%s) - t )) s"
  '
`;
}

function wrap(words: string[], width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + w.length + 1 > width) {
      lines.push(line);
      line = '';
    }
    line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l) => `  ${l}`).join('\n');
}

async function main(): Promise<number> {
  const started = Date.now();
  const elapsed = (since: number) => `${Math.round((Date.now() - since) / 1000)} s`;
  if (process.getuid?.() !== 0)
    throw new HostSetupError(
      'check:fresh-host needs root (mmdebstrap, chroot, mounts). Run: sudo npm run check:fresh-host',
    );
  await ensureMmdebstrap();
  // Note: the namespaces took any mount of an earlier run with them, so the old root is plain files.
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });

  let t = Date.now();
  log(
    `building a minimal Debian 12 root in ${path.relative(projectRoot, root)} (mmdebstrap --variant=minbase bookworm)`,
  );
  const debootstrap = await runLive([
    'mmdebstrap',
    '--variant=minbase',
    '--aptopt=Acquire::Retries "3"',
    'bookworm',
    root,
    ...debianSources,
  ]);
  if (debootstrap !== 0) throw new HostSetupError(`mmdebstrap exited ${debootstrap}: see its messages above`);
  const base = await installedPackages();
  log(`root built: ${base.size} packages (${elapsed(t)})`);
  // Services do not start in a chroot (docker.io's postinst would start dockerd on a real machine).
  await writeFile(path.join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n');
  await chmod(path.join(root, 'usr/sbin/policy-rc.d'), 0o755);
  log(`copied the checkout's ${await copyCheckout()} tracked files to ${checkoutInRoot} (no node_modules)`);

  const cafile = (await runCommand(['npm', 'config', 'get', 'cafile'])).stdout.trim();
  const script = path.join(workDir, 'inside.sh');
  await writeFile(script, insideScript(cafile && cafile !== 'null' && existsSync(cafile) ? cafile : undefined));
  t = Date.now();
  log('in the root: npm ci, then npx tsx harness/setup/ensure-host.ts (own mount and PID namespaces)');
  // Note: setpriv ties the namespace to this process; unshare --kill-child takes everything in it along.
  const status = await runLive([
    'setpriv',
    '--pdeathsig',
    'KILL',
    '--',
    'unshare',
    '--mount',
    '--propagation',
    'private',
    '--pid',
    '--fork',
    '--kill-child',
    'bash',
    script,
    root,
  ]);
  const setupTime = elapsed(t);

  const after = await installedPackages();
  const added = [...after.keys()].filter((p) => !base.has(p)).sort();
  const mib = Math.round(added.reduce((sum, p) => sum + after.get(p)!.kib, 0) / 1024);
  log(`packages the setup installed: ${added.length} (${mib} MiB installed size):`);
  console.log(wrap(added));
  const rom = after.get('ipxe-qemu');
  log(rom ? `ipxe-qemu ${rom.version} installed (ships /usr/lib/ipxe/qemu/efi-virtio.rom)` : 'ipxe-qemu NOT installed');
  log(`npm ci + setup in the root: ${setupTime}; whole check: ${elapsed(started)}`);
  if (status !== 0)
    throw new HostSetupError(`the setup in the fresh root failed (exit ${status}): see its messages above`);
  if (!rom)
    throw new HostSetupError(
      'the setup passed without installing ipxe-qemu: the rig start check missed efi-virtio.rom',
    );
  // Note: a failed check keeps the root to look into (chroot .cache/fresh-host/root); a passed one
  // frees its ~3 GB unless --keep.
  if (!process.argv.includes('--keep')) await rm(workDir, { recursive: true, force: true });
  log("PASS: on a fresh Debian 12 root, npm ci and the host setup install everything and every rig's QEMU starts");
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  for (const line of describeSetupError(error).split('\n')) console.error(`[fresh-host] ${line}`);
  console.error('[fresh-host] FAIL');
  process.exitCode = 1;
}
