// The device's container engine, chosen per build with HUPBENCH_ENGINE:
//   moby (default) — Debian's docker.io (dockerd + containerd + runc, the engine balenaEngine is
//     forked from), set up by images/engine-moby/overlay;
//   lean — the docker CLI subset in images/rootfs-overlay/usr/bin/docker, a shell model of the
//     engine on small cards: only for speed runs that select it (npm test's smoke tier), never for a
//     verdict on a release.
// The engine is part of an image's hash, and a moby build keeps its whole cache (cards, hostOS
// archives, release manifests) under .cache/engine-moby, so the two never mix.
export type EngineName = 'lean' | 'moby';

const engines: EngineName[] = ['moby', 'lean'];
/** Earlier name of the lean engine, still taken. */
const aliases: Record<string, EngineName> = { shell: 'lean' };

export function selectedEngine(env: NodeJS.ProcessEnv = process.env): EngineName {
  const named = env.HUPBENCH_ENGINE?.trim() || 'moby';
  const value = aliases[named] ?? named;
  if (!engines.includes(value as EngineName))
    throw new Error(
      `HUPBENCH_ENGINE="${env.HUPBENCH_ENGINE}" names no engine. Use one of: ${engines.join(', ')} ` +
        '(unset = moby, the default; lean is the shell model for speed runs).',
    );
  return value as EngineName;
}

/**
 * Debian packages of the moby engine, taken without their dependency closure (docker.io's pulls in
 * perl, iptables, adduser): the binaries and the libraries they link (readelf NEEDED: dockerd needs
 * libsystemd0 and libdevmapper; runc libseccomp2; libudev1/libselinux1 are in the userland already).
 */
export const mobyPackagesNoDeps = [
  'docker.io',
  // Moby decompresses layers with unpigz when it is on the PATH (C's zlib, not Go's): under TCG the
  // pull is CPU-bound (bench/engine-results.md).
  'pigz',
  'containerd',
  'runc',
  'tini',
  'libseccomp2',
  'libdevmapper1.02.1',
  'libsystemd0',
  'libcap2',
  'libgcrypt20',
  'libgpg-error0',
  'liblz4-1',
  'liblzma5',
  'libzstd1',
];

/**
 * What of those packages the device never runs: the v1 shims and ctr (dockerd drives containerd
 * through shim v2), libnetwork's test tools, docker-proxy (dockerd runs with --userland-proxy=false),
 * the static tini (docker-init is only for `docker run --init`), the rootless helpers.
 */
export const mobyUnusedFiles = [
  'usr/bin/ctr',
  'usr/bin/containerd-shim',
  'usr/bin/containerd-shim-runc-v1',
  'usr/bin/dnet',
  'usr/sbin/ovrouter',
  'usr/sbin/docker-proxy',
  'usr/share/docker.io',
  'usr/share/bash-completion',
  'usr/share/fish',
  'usr/share/zsh',
  'etc/init.d/docker',
  'etc/init.d/containerd',
  'etc/default/docker',
  'lib/systemd',
  'usr/lib/systemd',
];

/** Kernel modules the engine needs at boot besides the board's: overlay2's filesystem. */
export const mobyModules = ['overlay'];

/** Overlay files of the lean engine that the moby engine replaces with Debian's binaries. */
export const shellEngineFiles = ['usr/bin/docker'];
