#!/usr/bin/python3.11
# hupbench reference secondary updater for resinOS 1.x -> 1.x (DESIGN.md, "The updater under test").
# upgrade-1.x.sh runs it chrooted in the resinhup image, with these bound in:
#   /host              the running 1.x root, read-only (its files are checked against its fingerprint)
#   /mnt/boot          resin-boot, read-write
#   /run/docker.sock   the host engine's API socket (moby), or
#   /run/docker/spool  the lean engine's request spool; no docker CLI needed here
#   /run/resinhup      a directory shared with the host at the same path (the export stream's FIFO)
#   /dev /proc /sys
#
#   resinhup.py --hostos-version V --image REGISTRY/REPO:TAG --local-image REPO:TAG
#               --root-dev DEV --spare-dev DEV --boot-style uenv|cmdline [--force]
#
# Phases (`[hup] phase=<name>` on stdout): version, fingerprint, pull, export, boot-files,
# data-migrations, switch-boot.
# Exit: 0 the spare root holds the target and the boot settings select it (the caller reboots);
# 1 failed (the running root and the boot settings untouched; the log says what else was);
# 2 step done, reboot and run again (a previous update switched the boot settings but the device
# never rebooted into them); 3 already at the target version, nothing changed.
import argparse
import fnmatch
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time

HOST = '/host'
BOOT = '/mnt/boot'
SPARE_MNT = '/mnt/spare'
SPOOL = '/run/docker/spool'
DOCKER_SOCK = '/run/docker.sock'
EXPORT_FIFO = '/run/resinhup/export.fifo'
CONTAINER = 'resinhup-hostos'
FINGERPRINT = 'resinos.fingerprint'
CONFIG = os.path.join(BOOT, 'config.json')

# Files of a running 1.x root that legitimately differ from the image's fingerprint: the device's own
# identity and credentials, and what the OS regenerates. Anything else changed is a local
# modification the update would silently throw away.
ALLOWED_CHANGES = [
    '/etc/hostname',
    '/etc/hosts',
    '/etc/machine-id',
    '/etc/timestamp',
    '/etc/shadow',
    '/etc/dropbear/*',
    '/root/.ssh/authorized_keys',
]

ENGINE_SHADOWED = 'usr/share/hostos/engine-shadowed.tar'


def undo_init_layer(root):
    """`docker export` writes the container's root, not the image's: Docker's init layer puts a
    /.dockerenv and an empty /etc/hostname, /etc/hosts and /etc/resolv.conf over the image's own. A
    hostOS image carries its own copies in usr/share/hostos/engine-shadowed.tar."""
    if os.path.lexists(os.path.join(root, '.dockerenv')):
        os.remove(os.path.join(root, '.dockerenv'))
    shadowed = os.path.join(root, ENGINE_SHADOWED)
    if not os.path.exists(shadowed):
        log(f'warning: the image has no /{ENGINE_SHADOWED}: /etc/hostname, /etc/hosts and /etc/resolv.conf are as the engine made them')
        return
    for f in ('etc/hostname', 'etc/hosts', 'etc/resolv.conf'):
        if os.path.lexists(os.path.join(root, f)):
            os.remove(os.path.join(root, f))
    check('tar', '-x', '-C', root, '-f', shadowed, what=f"cannot put the image's /etc files back from /{ENGINE_SHADOWED}")


# config.json changes between 1.x releases, applied when updating from below `since` to `since` or
# later. Each takes the parsed config and returns a description of what it changed (or None).
def drop_pubnub(config):
    gone = [k for k in ('pubnubSubscribeKey', 'pubnubPublishKey') if k in config]
    for k in gone:
        del config[k]
    return f"removed {', '.join(gone)} (logs go through the API since 1.27)" if gone else None


def default_persistent_logging(config):
    if 'persistentLogging' in config:
        return None
    config['persistentLogging'] = False
    return 'added persistentLogging=false (read by the OS since 1.30)'


CONFIG_MIGRATIONS = [('1.27.0', drop_pubnub), ('1.30.0', default_persistent_logging)]


class Failure(Exception):
    pass


class Done(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


def log(message):
    print(f"[hup] {time.strftime('%H:%M:%S')} {message}", flush=True)


def phase(name):
    state['phase'] = name
    print(f'[hup] phase={name}', flush=True)


state = {'phase': 'none', 'touched': [], 'config_before': None, 'switched': False}


def run(*argv, timeout=600):
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return result.returncode, result.stdout.decode(errors='replace').strip()


def check(*argv, what, timeout=600):
    rc, out = run(*argv, timeout=timeout)
    if rc != 0:
        raise Failure(f'{what}: {" ".join(argv)} exited {rc}: {out[-400:]}')
    return out


def version_key(v):
    return [int(p) for p in v.replace('+rev', '.').replace('_rev', '.').split('.') if p.isdigit()]


def os_release(root):
    values = {}
    try:
        with open(os.path.join(root, 'etc/os-release')) as f:
            for line in f:
                if '=' in line:
                    k, v = line.rstrip('\n').split('=', 1)
                    values[k] = v.strip('"')
    except OSError:
        pass
    return values


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def fingerprint_changes(root):
    """Files of `root` that differ from its /resinos.fingerprint: [(path, 'modified'|'missing')]."""
    manifest = os.path.join(root, FINGERPRINT)
    if not os.path.isfile(manifest):
        raise FileNotFoundError(manifest)
    changes = []
    with open(manifest) as f:
        for line in f:
            digest, _, name = line.rstrip('\n').partition('  ')
            if not name:
                continue
            path = os.path.join(root, name.lstrip('/'))
            if not os.path.isfile(path) or os.path.islink(path):
                changes.append((name, 'missing'))
            elif sha256(path) != digest:
                changes.append((name, 'modified'))
    return changes


# --- the engine: its API socket (moby), or the lean engine's request spool -----------------------------
def engine(*args, timeout=900):
    """`docker ARGS` (the few the update needs) -> (exit code, stdout, stderr)."""
    if os.path.exists(DOCKER_SOCK):
        return engine_api(*args, timeout=timeout)
    return engine_spool(*args, timeout=timeout)


def quote(text, safe=''):
    """Percent-encodes TEXT for a URL (the docker CLI keeps `/` and `:` of a name in the path as they are)."""
    keep = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-' + safe
    return ''.join(chr(b) if chr(b) in keep else f'%{b:02X}' for b in text.encode())


def api(method, path, body=None, timeout=900):
    """One request to the Engine API over its socket: (status, the response body as a file).
    HTTP/1.0, so the body is never chunked and ends when the engine closes the connection."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)  # the longest silence, not the whole request
    sock.connect(DOCKER_SOCK)
    data = json.dumps(body).encode() if body is not None else b''
    sock.sendall(f'{method} {path} HTTP/1.0\r\nHost: docker\r\nContent-Type: application/json\r\n'
                 f'Content-Length: {len(data)}\r\n\r\n'.encode() + data)
    response = sock.makefile('rb')
    sock.close()  # the file keeps the connection open
    status = response.readline().split()
    if len(status) < 2 or not status[1].isdigit():
        raise Failure(f'the engine answered {method} {path} with {b" ".join(status)!r}, not HTTP')
    while response.readline() not in (b'\r\n', b'\n', b''):
        pass
    return int(status[1]), response


def api_message(response):
    text = response.read().decode(errors='replace').strip()
    try:
        return json.loads(text).get('message', text)
    except ValueError:
        return text


def split_reference(ref):
    name, _, tag = ref.rpartition(':')
    return (name, tag) if name and '/' not in tag else (ref, 'latest')


def engine_api(*args, timeout=900):
    cmd, rest = args[0], list(args[1:])
    force = '-f' in rest
    rest = [a for a in rest if a != '-f']
    if cmd == 'pull':
        name, tag = split_reference(rest[0])
        status, response = api('POST', f'/images/create?fromImage={quote(name)}&tag={quote(tag)}', timeout=timeout)
        if status != 200:
            return 1, '', api_message(response)
        # The pull's progress, one JSON object a line; a failure mid-way is an `error` in it.
        last, error = '', None
        for line in response:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            error = event.get('error', error)
            last = event.get('status', last)
        return (1, '', error) if error else (0, last, '')
    if cmd == 'rm':
        status, response = api('DELETE', f'/containers/{quote(rest[0], "/:")}?force={int(force)}&v=1', timeout=timeout)
    elif cmd == 'rmi':
        status, response = api('DELETE', f'/images/{quote(rest[0], "/:")}?force={int(force)}', timeout=timeout)
    elif cmd == 'create' and rest[0] == '--name':
        status, response = api('POST', f'/containers/create?name={quote(rest[1])}', {'Image': rest[2]}, timeout=timeout)
    elif cmd == 'export' and rest[0] == '-o':
        status, response = api('GET', f'/containers/{quote(rest[2], "/:")}/export', timeout=timeout)
        if status == 200:
            with open(rest[1], 'wb') as out:
                for chunk in iter(lambda: response.read(1 << 20), b''):
                    out.write(chunk)
            return 0, '', ''
    else:
        raise Failure(f"docker {' '.join(args)}: not a request this updater knows how to make of the engine's API")
    if status >= 300:
        return 1, '', api_message(response)
    return 0, response.read().decode(errors='replace').strip(), ''


_requests = [0]


def engine_spool(*args, timeout=900):
    _requests[0] += 1
    rid = f'{SPOOL}/{int(time.time())}.resinhup{os.getpid()}.{_requests[0]}'
    with open(f'{rid}.tmp', 'w') as f:
        f.write(''.join(f'{a}\n' for a in args))
    os.rename(f'{rid}.tmp', f'{rid}.req')
    deadline = time.monotonic() + timeout
    while not os.path.exists(f'{rid}.rc'):
        if time.monotonic() > deadline:
            raise Failure(f"the engine did not answer 'docker {' '.join(args)}' within {timeout}s (is S50engine running?)")
        time.sleep(0.2)
    outputs = []
    for ext in ('out', 'err', 'rc'):
        try:
            with open(f'{rid}.{ext}', errors='replace') as f:
                outputs.append(f.read())
            os.remove(f'{rid}.{ext}')
        except OSError:
            outputs.append('')
    out, err, rc = outputs
    return int(rc.strip() or 1), out.strip(), err.strip()


def engine_check(*args, what, timeout=900):
    rc, out, err = engine(*args, timeout=timeout)
    if rc != 0:
        raise Failure(f'{what}: docker {" ".join(args)} exited {rc}: {(err or out)[-400:]}')
    return out


# --- boot settings: which root the 1.x boot flow selects ---------------------------------------------
def boot_file(style):
    return os.path.join(BOOT, 'uEnv.txt' if style == 'uenv' else 'cmdline.txt')


def selected_partition(style, prefix):
    try:
        with open(boot_file(style)) as f:
            text = f.read()
    except OSError:
        return None
    if style == 'uenv':
        found = [l.split('1:', 1)[1].strip() for l in text.splitlines() if l.startswith('bootpart=1:')]
    else:
        found = [w[len('root=' + prefix):] for w in text.split() if w.startswith('root=' + prefix)]
    return int(found[-1]) if found and found[-1].isdigit() else None


def write_atomic(path, data):
    tmp = f'{path}.new'
    with open(tmp, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)
    dir_fd = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    except OSError:
        pass  # vfat directories may not fsync; the sync below covers them
    finally:
        os.close(dir_fd)
    os.sync()


def write_boot_selection(style, prefix, part):
    path = boot_file(style)
    with open(path) as f:
        text = f.read()
    if style == 'uenv':
        lines = [l for l in text.splitlines() if not l.startswith('bootpart=')]
        new = '\n'.join(lines + [f'bootpart=1:{part}']) + '\n'
    else:
        new = ' '.join(f'root={prefix}{part}' if w.startswith('root=') else w for w in text.split()) + '\n'
    write_atomic(path, new.encode())


def mounted(path):
    with open('/proc/mounts') as f:
        return any(line.split()[1] == path for line in f)


def partition_number(dev):
    digits = ''
    for c in reversed(dev):
        if not c.isdigit():
            break
        digits = c + digits
    return int(digits), dev[: len(dev) - len(digits)]


# --- the update ---------------------------------------------------------------------------------------
def update(args):
    root_part, prefix = partition_number(args.root_dev)
    spare_part, _ = partition_number(args.spare_dev)
    current = os_release(HOST).get('VERSION', '')

    phase('version')
    log(f'running {current} from {args.root_dev} (partition {root_part}); target {args.hostos_version}; spare root {args.spare_dev}')
    selected = selected_partition(args.boot_style, prefix)
    if selected is None:
        raise Failure(f'cannot read which root {boot_file(args.boot_style)} selects')
    if selected != root_part:
        held = '(unreadable)'
        os.makedirs(SPARE_MNT, exist_ok=True)
        if run('mount', '-o', 'ro', '-t', 'ext4', f'{prefix}{selected}', SPARE_MNT)[0] == 0:
            held = os_release(SPARE_MNT).get('VERSION', '(no os-release)')
            run('umount', SPARE_MNT)
        log(f'the boot settings select partition {selected} (resinOS {held}) but the device runs partition {root_part}: an earlier update switched them and the device did not reboot')
        log('step done: reboot into the selected root, then run the update again')
        raise Done(2)
    if current == args.hostos_version:
        log(f'already at {current}: nothing to do')
        raise Done(3)
    if version_key(args.hostos_version) < version_key(current):
        raise Failure(f'target {args.hostos_version} is older than the running {current}; refusing to downgrade')

    phase('fingerprint')
    try:
        changes = fingerprint_changes(HOST)
    except FileNotFoundError:
        if not args.force:
            raise Failure(f'the running root has no /{FINGERPRINT}: cannot tell whether it was modified (pass --force to update anyway)')
        log(f'warning: no /{FINGERPRINT} on the running root; updating anyway (--force)')
        changes = []
    allowed = [c for c in changes if any(fnmatch.fnmatchcase(c[0], p) for p in ALLOWED_CHANGES)]
    blocking = [c for c in changes if c not in allowed]
    for name, how in allowed:
        log(f'fingerprint: {name} {how} (allowed: device-specific)')
    if blocking:
        listed = ', '.join(f'{name} ({how})' for name, how in blocking)
        if not args.force:
            raise Failure(f'fingerprint check failed: {len(blocking)} file(s) of the running root differ from /{FINGERPRINT}: {listed}. '
                          'The update replaces the root and would lose these changes; restore them, or pass --force to update anyway')
        log(f'warning: fingerprint check found {len(blocking)} changed file(s): {listed}; updating anyway (--force): these changes are not carried over')
    else:
        log(f'fingerprint check passed ({len(allowed)} allowed change(s))')

    phase('pull')
    engine_check('pull', args.image, what=f'cannot pull {args.image}', timeout=1800)
    log(f'pulled {args.image}')

    phase('export')
    if mounted(SPARE_MNT):
        raise Failure(f'{SPARE_MNT} is already mounted')
    rc, label = run('e2label', args.spare_dev)
    label = label if rc == 0 and label in ('resin-root', 'resin-updt') else ('resin-root' if spare_part == 2 else 'resin-updt')
    state['touched'].append(f'spare root {args.spare_dev} ({label}) reformatted')
    check('mkfs.ext4', '-q', '-F', '-L', label, '-O', '^orphan_file', '-E', 'nodiscard', args.spare_dev, what=f'cannot format the spare root {args.spare_dev}')
    check('mount', '-t', 'ext4', args.spare_dev, SPARE_MNT, what=f'cannot mount {args.spare_dev}')
    engine('rm', '-f', CONTAINER)
    engine_check('create', '--name', CONTAINER, args.local_image, what=f'cannot create a container of {args.local_image}')
    if os.path.exists(EXPORT_FIFO):
        os.remove(EXPORT_FIFO)
    os.mkfifo(EXPORT_FIFO)
    tar = subprocess.Popen(['tar', '-x', '-C', SPARE_MNT, '-f', EXPORT_FIFO], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    rc, out, err = engine('export', '-o', EXPORT_FIFO, CONTAINER, timeout=1800)
    if rc != 0:
        try:  # the engine may have failed before opening the FIFO: give tar its end of file
            os.close(os.open(EXPORT_FIFO, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    tar_out = tar.communicate(timeout=600)[0].decode(errors='replace').strip()
    os.remove(EXPORT_FIFO)
    engine('rm', '-f', CONTAINER)
    engine('rmi', '-f', args.local_image)
    if rc != 0 or tar.returncode != 0:
        raise Failure(f'exporting {args.local_image} onto {args.spare_dev} failed: engine exit {rc} {err[-300:]}; tar exit {tar.returncode} {tar_out[-300:]}')
    undo_init_layer(SPARE_MNT)
    os.sync()
    new_version = os_release(SPARE_MNT).get('VERSION')
    for f in ('boot/vmlinuz', 'boot/initrd.img', 'sbin/init', 'etc/os-release', FINGERPRINT):
        if not os.path.exists(os.path.join(SPARE_MNT, f)):
            raise Failure(f'the exported image lacks /{f}')
    if new_version != args.hostos_version:
        raise Failure(f"the exported image is version '{new_version}', not {args.hostos_version}")
    written = fingerprint_changes(SPARE_MNT)
    if written:
        raise Failure(f'the root written to {args.spare_dev} does not match its own fingerprint: {written[:5]}')
    log(f'new root on {args.spare_dev} ({label}): VERSION={new_version}, every file matches its fingerprint')

    phase('boot-files')
    staged = os.path.join(SPARE_MNT, 'resin-boot')
    if not os.path.isdir(staged):
        raise Failure(f'the image {args.local_image} has no /resin-boot: not a 1.x hostOS image')
    state['touched'].append('resin-boot files')
    for dirpath, _, files in os.walk(staged):
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(dirpath, name), staged)
            target = os.path.join(BOOT, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(os.path.join(dirpath, name), 'rb') as f:
                data = f.read()
            try:
                with open(target, 'rb') as f:
                    if f.read() == data:
                        continue
            except OSError:
                pass
            write_atomic(target, data)
            log(f'boot file {rel} ({len(data)} bytes)')
    check('rm', '-rf', staged, what='cannot remove /resin-boot from the new root')
    check('umount', SPARE_MNT, what=f'cannot unmount {args.spare_dev}')

    phase('data-migrations')
    with open(CONFIG, 'rb') as f:
        before = f.read()
    config = json.loads(before)
    done = []
    for since, migrate in CONFIG_MIGRATIONS:
        if version_key(current) < version_key(since) <= version_key(args.hostos_version):
            what = migrate(config)
            if what:
                done.append(f'{since}: {what}')
    if done:
        state['config_before'] = before
        state['touched'].append('config.json')
        write_atomic(CONFIG, (json.dumps(config, indent=2) + '\n').encode())
        for d in done:
            log(f'config.json migrated ({d})')
    else:
        log('config.json: no migration between these releases applies')

    phase('switch-boot')
    write_boot_selection(args.boot_style, prefix, spare_part)
    if selected_partition(args.boot_style, prefix) != spare_part:
        raise Failure(f'{boot_file(args.boot_style)} does not select partition {spare_part} after writing it')
    state['switched'] = True
    log(f'boot switched to partition {spare_part} ({os.path.basename(boot_file(args.boot_style))})')


def undo_after_failure():
    if mounted(SPARE_MNT):
        run('umount', SPARE_MNT)
    if os.path.exists(EXPORT_FIFO):
        os.remove(EXPORT_FIFO)
    engine('rm', '-f', CONTAINER, timeout=60)
    if state['config_before'] is not None and not state['switched']:
        write_atomic(CONFIG, state['config_before'])
        log('config.json put back as it was')


def interrupted(signum, _frame):
    raise Failure(f'interrupted (signal {signum})')


def main():
    parser = argparse.ArgumentParser(description='resinOS 1.x -> 1.x secondary updater (runs inside the resinhup image)')
    parser.add_argument('--hostos-version', required=True)
    parser.add_argument('--image', required=True, help='the hostOS image to pull, with its registry')
    parser.add_argument('--local-image', required=True, help='the same image as the engine names it once pulled')
    parser.add_argument('--root-dev', required=True)
    parser.add_argument('--spare-dev', required=True)
    parser.add_argument('--boot-style', required=True, choices=['uenv', 'cmdline'])
    parser.add_argument('--force', action='store_true', help='update even when the fingerprint check finds modified files')
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, interrupted)
    try:
        update(args)
    except Done as done:
        return done.code
    except (Failure, OSError, ValueError, subprocess.SubprocessError) as e:
        log(f"error: {e} (phase {state['phase']})")
        try:
            undo_after_failure()
        except (Failure, OSError) as cleanup:
            log(f'warning: cleaning up after the failure: {cleanup}')
        touched = ', '.join(state['touched']) if state['touched'] else 'nothing'
        log(f'secondary updater failed; modified: {touched}. The running root and the boot settings are unchanged')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
