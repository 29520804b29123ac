#!/bin/sh
# hupbench reference updater: resinOS 1.x -> 1.x host OS update (DESIGN.md, "The updater under test").
#
#   upgrade-1.x.sh --hostos-version V [--registry URL] [--supervisor-version V] [--no-reboot] [--force]
#                  [--force-slug SLUG] [--no-require-upgrade] [--resinhup-image REF] [--pull-tries N] [--pull-backoff S]
#
# The outer script: checks, stops the supervisor and the app, checks the supervisor update, pulls the
# resinhup image (the secondary updater with its Python and tools) and runs the secondary in it,
# chrooted, with the running root (read-only), resin-boot, the engine's API and /dev, /proc, /sys
# bound in. The secondary (resinhup.py) checks the running root against its fingerprint, pulls the
# target, exports it onto the spare root (resin-root/resin-updt, whichever is not running) and the
# boot files onto resin-boot, migrates config.json and switches the boot settings (uEnv.txt on the
# BeagleBone, cmdline.txt on the Raspberry Pi). Back here: the supervisor, then the reboot.
#
# Phases (`[hup] phase=<name>`): checks, stop-services, supervisor, resinhup; the secondary's
# version, fingerprint, pull, export, boot-files, data-migrations, switch-boot; then finish, reboot.
# Exit: 0 updated (reboot scheduled unless --no-reboot), or the secondary's step done (exit 2: a
# `[hup] rerun:` line, reboot, run this again); 1 failed; 3 already at that version, nothing changed;
# 9 another update holds the lock.
# Pulls here (the supervisor, the resinhup image) get --pull-tries tries (default $HUP_PULL_TRIES or 3), the
# n-th failed one followed by a wait of n x --pull-backoff s (default $HUP_PULL_BACKOFF or 5), each logged
# (`pull try N/M: IMAGE`, `pull try N/M failed: … next try in Ss`). The secondary's hostOS pull is its own.
# --force: update even when the fingerprint check finds modified files on the running root.
set -u
set -o pipefail 2>/dev/null || true

LOCK=/var/lock/resinhup.lock
LOG_DIR=/mnt/data/resinhup
CONFIG=/mnt/boot/config.json
SUPERVISOR=resin_supervisor
SECONDARY_CONTAINER=resinhup-secondary
RH=/tmp/resinhup-root
SHARED=/run/resinhup
# The engine's API for the secondary: moby's socket, or the lean engine's request spool.
if [ -S /var/run/docker.sock ]; then ENGINE_API=run/docker.sock; else ENGINE_API=run/docker/spool; fi
# Where the resinhup image's tree gets the host's directories and the engine (the secondary's interface).
BINDS="host dev proc sys mnt/boot $ENGINE_API run/resinhup"

usage() { sed -n '4,5p' "$0" | sed 's/^# *//' >&2; }

HOSTOS_VERSION= REGISTRY= SUPERVISOR_VERSION= REBOOT=1 FORCE=0 FORCE_SLUG= REQUIRE_UPGRADE=1 RESINHUP_IMAGE_ARG=
PULL_TRIES=${HUP_PULL_TRIES:-3} PULL_BACKOFF=${HUP_PULL_BACKOFF:-5}
while [ $# -gt 0 ]; do
  case $1 in
    --hostos-version) HOSTOS_VERSION=${2:-}; shift 2 || shift ;;
    --hostos-version=*) HOSTOS_VERSION=${1#*=}; shift ;;
    --registry) REGISTRY=${2:-}; shift 2 || shift ;;
    --registry=*) REGISTRY=${1#*=}; shift ;;
    --supervisor-version) SUPERVISOR_VERSION=${2:-}; shift 2 || shift ;;
    --supervisor-version=*) SUPERVISOR_VERSION=${1#*=}; shift ;;
    --resinhup-image) RESINHUP_IMAGE_ARG=${2:-}; shift 2 || shift ;;
    --resinhup-image=*) RESINHUP_IMAGE_ARG=${1#*=}; shift ;;
    --no-reboot) REBOOT=0; shift ;;
    --force) FORCE=1; shift ;;
    --force-slug) FORCE_SLUG=${2:-}; shift 2 || shift ;;
    --force-slug=*) FORCE_SLUG=${1#*=}; shift ;;
    --no-require-upgrade) REQUIRE_UPGRADE=0; shift ;;
    --pull-tries) PULL_TRIES=${2:-}; shift 2 || shift ;;
    --pull-tries=*) PULL_TRIES=${1#*=}; shift ;;
    --pull-backoff) PULL_BACKOFF=${2:-}; shift 2 || shift ;;
    --pull-backoff=*) PULL_BACKOFF=${1#*=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "[hup] error: unknown argument '$1'" >&2; usage; exit 1 ;;
  esac
done
[ -n "$HOSTOS_VERSION" ] || { echo "[hup] error: --hostos-version is required" >&2; usage; exit 1; }
case $PULL_TRIES in '' | *[!0-9]* | 0) echo "[hup] error: --pull-tries (or HUP_PULL_TRIES) must be a whole number of at least 1, not '$PULL_TRIES'" >&2; exit 1 ;; esac
case $PULL_BACKOFF in '' | *[!0-9]*) echo "[hup] error: --pull-backoff (or HUP_PULL_BACKOFF) must be whole seconds, not '$PULL_BACKOFF'" >&2; exit 1 ;; esac

# --- the lock: one update at a time ---------------------------------------------------------------
mkdir -p "${LOCK%/*}"
exec 9> "$LOCK"
if ! flock -n 9; then
  echo "[hup] error: another update holds the lock $LOCK; not starting (exit 9)" >&2
  exit 9
fi

# --- the log: everything from here on goes to stdout and to the log file --------------------------
LOG_NAME=upgrade-1.x-$(date +%Y%m%dT%H%M%S).log
LOG=
if mkdir -p "$LOG_DIR" 2>/dev/null; then
  LOG=$LOG_DIR/$LOG_NAME
  FIFO=/tmp/resinhup.$$.fifo
  rm -f "$FIFO"
  mkfifo "$FIFO"
  tee -a "$LOG" < "$FIFO" &
  TEE_PID=$!
  exec > "$FIFO" 2>&1
  rm -f "$FIFO"
fi

PHASE=none
SERVICES_STOPPED=0
log() { echo "[hup] $(date +%H:%M:%S) $*"; }
phase() { PHASE=$1; echo "[hup] phase=$1"; }
fail() {
  log "error: $* (phase $PHASE)"
  exit 1
}

write_atomic() { # FILE
  cat > "$1.new" && sync && mv "$1.new" "$1" && sync
}

# Unmounts what the chroot had bound in, innermost first; never removes the tree while anything is
# mounted under it (that would delete through a bind mount).
release_chroot() {
  mountpoint -q "$RH/mnt/spare" 2>/dev/null && umount "$RH/mnt/spare"
  reversed=
  for b in $BINDS; do reversed="$b $reversed"; done
  for b in $reversed; do
    # Note: /proc/mounts, not mountpoint: the engine's socket is a file bound onto a file.
    awk -v p="$RH/$b" '$2 == p { found = 1 } END { exit !found }' /proc/mounts && { umount "$RH/$b" || umount -l "$RH/$b"; }
  done
  if awk -v p="$RH/" 'index($2, p) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    log "warning: mounts remain under $RH; leaving it in place"
  else
    rm -rf "$RH"
  fi
}

cleanup() {
  rc=$?
  trap - EXIT INT TERM
  release_chroot
  docker rm -f "$SECONDARY_CONTAINER" > /dev/null 2>&1
  if [ "$rc" != 0 ]; then
    if [ "$SERVICES_STOPPED" = 1 ]; then
      log "starting the supervisor again (it starts the app)"
      /etc/rc.d/S60supervisor start > /dev/null 2>&1 || log "warning: could not start the supervisor"
    fi
    case $rc in
      3) log "nothing changed (exit 3)" ;;
      9) ;;
      *) log "FAILED (exit $rc). The running root and the boot settings are unchanged; the log above says what else was modified." ;;
    esac
  fi
  [ -n "$LOG" ] && log "log: $LOG"
  exec 1>&- 2>&-
  [ -n "${TEE_PID:-}" ] && wait "$TEE_PID" 2>/dev/null
  sync
  # Note: the reboot's 2 s start only now, with the log closed and synced: scheduled earlier, a slow
  # sync could let the reboot overtake this script's exit, and the caller would never see its status.
  if [ "$rc" = 0 ] && [ "$REBOOT_AFTER_EXIT" = 1 ]; then
    (sleep 2; sync; reboot) < /dev/null > /dev/null 2>&1 9>&- &
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

config_value() { jq -r --arg k "$1" '.[$k] // empty' "$CONFIG" 2>/dev/null; }
os_release() { sed -n "s/^$1=\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" /etc/os-release | head -n 1; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1000000 }'; }
# The least the target's root filesystem needs, in bytes, then how that is known: the image's
# io.resin.os.rootfs-bytes label (what its root takes on ext4), or else the size of its compressed layers.
target_root_bytes() { # REPO TAG
  manifest=$(timeout 30 wget -q -O - --header "Accept: application/vnd.docker.distribution.manifest.v2+json" "$REGISTRY/v2/$1/manifests/$2") || return 1
  digest=$(echo "$manifest" | jq -r '.config.digest // empty')
  bytes=
  [ -n "$digest" ] && bytes=$(timeout 30 wget -q -O - "$REGISTRY/v2/$1/blobs/$digest" | jq -r '.config.Labels["io.resin.os.rootfs-bytes"] // empty' 2> /dev/null)
  case $bytes in
    '' | *[!0-9]*) echo "$(echo "$manifest" | jq '[.layers[].size] | add // 0') the size of its compressed layers" ;;
    *) echo "$bytes the size of its files" ;;
  esac
}
# Refuses a spare root smaller than the least the target's root needs: a lower bound against the
# partition's whole size, so a refusal here is certain (a root that fits only without the filesystem's
# own overhead still fails when it is written).
check_spare_fits() { # SPARE_DEV SPARE_LABEL
  spare_bytes=$(($(cat "/sys/class/block/${1##*/}/size") * 512))
  need=$(target_root_bytes resin/resinos "$TAG") || fail "cannot read the manifest of resin/resinos:$TAG from $REGISTRY"
  [ "${need%% *}" -le "$spare_bytes" ] ||
    fail "spare root too small: $1 ($2) holds $(mb "$spare_bytes") MB but the root filesystem of $HOSTOS_VERSION needs at least $(mb "${need%% *}") MB (${need#* }); refusing before anything is written"
  log "the root of $HOSTOS_VERSION needs at least $(mb "${need%% *}") MB (${need#* }); the spare root $1 holds $(mb "$spare_bytes") MB"
}
# Pulls IMAGE in up to PULL_TRIES tries, waiting PULL_BACKOFF s longer after each failed one. The
# engine keeps the blobs a failed try completed; a blob cut off mid-way is downloaded again whole.
pull_image() { # IMAGE WHAT
  try=1
  while :; do
    log "pull try $try/$PULL_TRIES: $1"
    docker pull "$1" > /dev/null && return 0
    [ "$try" -lt "$PULL_TRIES" ] || fail "cannot pull $2 after $PULL_TRIES tries"
    log "pull try $try/$PULL_TRIES failed: $1; next try in $((PULL_BACKOFF * try))s"
    sleep $((PULL_BACKOFF * try))
    try=$((try + 1))
  done
}
version_cmp() {
  awk -v a="$1" -v b="$2" 'function parts(v, out,   n, i, t) {
      sub(/^v/, "", v); gsub(/[+_]rev/, ".", v); gsub(/[+_-]/, ".", v)
      n = split(v, t, "."); for (i = 1; i <= 4; i++) out[i] = (i <= n && t[i] ~ /^[0-9]+$/) ? t[i] + 0 : 0
    }
    BEGIN { parts(a, x); parts(b, y); for (i = 1; i <= 4; i++) { if (x[i] < y[i]) { print -1; exit } if (x[i] > y[i]) { print 1; exit } } print 0 }'
}
REBOOT_AFTER_EXIT=0
schedule_reboot() {
  if [ "$REBOOT" = 1 ]; then
    phase reboot
    log "rebooting 2s after this script exits"
    REBOOT_AFTER_EXIT=1
  else
    log "not rebooting (--no-reboot)"
  fi
}

log "upgrade-1.x.sh: to $HOSTOS_VERSION, log ${LOG:-(none: resin-data not writable)}"

# --- checks: nothing is modified before they pass ---------------------------------------------------
phase checks
CURRENT_VERSION=$(os_release VERSION)
MACHINE=$(os_release MACHINE)
log "running $CURRENT_VERSION on $MACHINE"
case $CURRENT_VERSION in 1.*) ;; *) fail "this device runs resinOS $CURRENT_VERSION, not 1.x: use upgrade-2.x.sh" ;; esac
case $HOSTOS_VERSION in 1.*) ;; 2.*) fail "target $HOSTOS_VERSION is a 2.x release: use upgrade-1.x-to-2.x.sh to migrate a 1.x device to 2.x" ;; *) fail "target $HOSTOS_VERSION is not a 1.x release" ;; esac
# The same version goes on to the secondary, which answers 3 (already there) without changing anything.
[ "$(version_cmp "$HOSTOS_VERSION" "$CURRENT_VERSION")" -ge 0 ] || [ "$REQUIRE_UPGRADE" = 0 ] || fail "target $HOSTOS_VERSION is older than the running $CURRENT_VERSION; refusing to downgrade"
for label in resin-boot resin-root resin-updt resin-conf resin-data; do
  findfs "LABEL=$label" > /dev/null 2>&1 || fail "no partition labelled $label: not the 1.x layout"
done
mountpoint -q /mnt/boot || fail "resin-boot is not mounted on /mnt/boot"
mountpoint -q /mnt/data || fail "resin-data is not mounted on /mnt/data"
[ -f "$CONFIG" ] || fail "no $CONFIG: is resin-boot mounted?"
CONFIG_SLUG=$(config_value deviceType)
if [ -n "$FORCE_SLUG" ]; then
  SLUG=$FORCE_SLUG
  log "device type forced to $SLUG (--force-slug; $CONFIG says '${CONFIG_SLUG:-nothing}', os-release MACHINE=$MACHINE)"
else
  SLUG=$CONFIG_SLUG
  [ -n "$SLUG" ] || fail "no deviceType in $CONFIG (or pass --force-slug)"
  [ "$SLUG" = "$MACHINE" ] ||
    fail "device type mismatch: $CONFIG says deviceType=$SLUG but this OS is built for MACHINE=$MACHINE; refusing (use --force-slug to override)"
fi

[ -n "$REGISTRY" ] || REGISTRY=$(config_value registry)
[ -n "$REGISTRY" ] || fail "no registry: pass --registry or set \"registry\" in $CONFIG"
case $REGISTRY in http://* | https://*) ;; *) REGISTRY=http://$REGISTRY ;; esac
REGISTRY=${REGISTRY%/}
REGISTRY_HOST=${REGISTRY#*://}
TAG=$(echo "$HOSTOS_VERSION" | tr + _)-$SLUG
LOCAL_IMAGE=resin/resinos:$TAG
RESINHUP_IMAGE=${RESINHUP_IMAGE_ARG:-resin/resinhup:v1-$SLUG}
timeout 15 wget -q -O /dev/null "$REGISTRY/v2/" || fail "registry $REGISTRY unreachable (GET $REGISTRY/v2/ failed)"
for ref in "$LOCAL_IMAGE" "$RESINHUP_IMAGE"; do
  timeout 30 wget -q -O /dev/null --header "Accept: application/vnd.docker.distribution.manifest.v2+json" \
    "$REGISTRY/v2/${ref%:*}/manifests/${ref##*:}" ||
    fail "image $ref not found in registry $REGISTRY (version $HOSTOS_VERSION, device type $SLUG)"
done

ROOT_DEV=
for word in $(cat /proc/cmdline); do case $word in root=/dev/*) ROOT_DEV=${word#root=} ;; esac; done
[ -n "$ROOT_DEV" ] || fail "no root= on the kernel command line"
ROOT_PART=${ROOT_DEV##*[!0-9]}
PREFIX=${ROOT_DEV%"$ROOT_PART"}
case $ROOT_PART in 2) SPARE_PART=3 ;; 3) SPARE_PART=2 ;; *) fail "cannot tell the active root partition from root=$ROOT_DEV" ;; esac
SPARE_DEV=$PREFIX$SPARE_PART
[ -b "$SPARE_DEV" ] || fail "the spare root $SPARE_DEV is missing"
grep -q "^$SPARE_DEV " /proc/mounts && fail "the spare root $SPARE_DEV is mounted"
check_spare_fits "$SPARE_DEV" "$([ "$SPARE_PART" = 3 ] && echo resin-updt || echo resin-root)"
if [ -f /mnt/boot/uEnv.txt ]; then BOOT_STYLE=uenv
elif [ -f /mnt/boot/cmdline.txt ]; then BOOT_STYLE=cmdline
else fail "resin-boot has neither uEnv.txt nor cmdline.txt: cannot tell how this board picks its root"
fi
log "active root $ROOT_DEV, spare $SPARE_DEV; boot settings in $([ $BOOT_STYLE = uenv ] && echo uEnv.txt || echo cmdline.txt); image $REGISTRY_HOST/$LOCAL_IMAGE; secondary $RESINHUP_IMAGE"
log "checks passed"

# --- stop the supervisor and the app --------------------------------------------------------------
phase stop-services
SERVICES_STOPPED=1
docker stop "$SUPERVISOR" > /dev/null 2>&1 && log "supervisor stopped"
for c in $(docker ps -q); do docker stop "$c" > /dev/null || fail "cannot stop container $c"; log "container $c stopped"; done

# --- the supervisor update check: the target's supervisor is pulled before anything is written ------
phase supervisor
CURRENT_SUPERVISOR_IMAGE=$(config_value supervisorImage)
NEW_SUPERVISOR_IMAGE=
if [ -z "$SUPERVISOR_VERSION" ]; then
  log "no --supervisor-version: supervisor ${CURRENT_SUPERVISOR_IMAGE:-unset} kept"
elif [ -z "$CURRENT_SUPERVISOR_IMAGE" ]; then
  log "no supervisorImage in $CONFIG: supervisor not managed here"
elif [ "$(version_cmp "$SUPERVISOR_VERSION" "${CURRENT_SUPERVISOR_IMAGE##*:}")" -le 0 ]; then
  log "supervisor ${CURRENT_SUPERVISOR_IMAGE##*:} is not older than v$SUPERVISOR_VERSION: kept"
else
  NEW_SUPERVISOR_IMAGE=${CURRENT_SUPERVISOR_IMAGE%:*}:v$SUPERVISOR_VERSION
  pull_image "$REGISTRY_HOST/$NEW_SUPERVISOR_IMAGE" "the supervisor $NEW_SUPERVISOR_IMAGE"
  # The engine stores the pull under the registry's name; the supervisor starts from config.json's.
  docker tag "$REGISTRY_HOST/$NEW_SUPERVISOR_IMAGE" "$NEW_SUPERVISOR_IMAGE" || fail "cannot tag $NEW_SUPERVISOR_IMAGE"
  log "supervisor ${CURRENT_SUPERVISOR_IMAGE##*:} -> v$SUPERVISOR_VERSION: $NEW_SUPERVISOR_IMAGE pulled (config.json is updated once the OS is)"
fi

# --- the resinhup image: the secondary updater, unpacked into tmpfs and chrooted into -----------------
phase resinhup
pull_image "$REGISTRY_HOST/$RESINHUP_IMAGE" "the resinhup image $RESINHUP_IMAGE"
release_chroot
mkdir -p "$RH" "$SHARED"
docker rm -f "$SECONDARY_CONTAINER" > /dev/null 2>&1
docker create --name "$SECONDARY_CONTAINER" "$REGISTRY_HOST/$RESINHUP_IMAGE" > /dev/null || fail "cannot create a container of $RESINHUP_IMAGE"
docker export "$SECONDARY_CONTAINER" | tar -x -C "$RH" || fail "cannot unpack $RESINHUP_IMAGE into $RH"
docker rm -f "$SECONDARY_CONTAINER" > /dev/null
docker rmi -f "$REGISTRY_HOST/$RESINHUP_IMAGE" > /dev/null
[ -x "$RH/usr/lib/resinhup/resinhup.py" ] || [ -f "$RH/usr/lib/resinhup/resinhup.py" ] || fail "$RESINHUP_IMAGE has no /usr/lib/resinhup/resinhup.py"
for b in $BINDS; do [ "$b" = run/docker.sock ] && touch "$RH/$b" || mkdir -p "$RH/$b"; done
mount --bind / "$RH/host" && mount -o remount,ro,bind "$RH/host" || fail "cannot bind the running root read-only into $RH/host"
mount --bind /dev "$RH/dev" || fail "cannot bind /dev"
mount -t proc proc "$RH/proc" || fail "cannot mount proc"
mount -t sysfs sys "$RH/sys" || fail "cannot mount sysfs"
mount --bind /mnt/boot "$RH/mnt/boot" || fail "cannot bind resin-boot"
if [ "$ENGINE_API" = run/docker.sock ]; then
  mount --bind /var/run/docker.sock "$RH/run/docker.sock" || fail "cannot bind the engine's socket"
else
  mount --bind /run/docker/spool "$RH/run/docker/spool" || fail "cannot bind the engine's spool"
fi
mount --bind "$SHARED" "$RH/run/resinhup" || fail "cannot bind $SHARED"
PYTHON=$(cd "$RH/usr/bin" && ls python3* 2>/dev/null | head -n 1)
[ -n "$PYTHON" ] || fail "$RESINHUP_IMAGE has no python3 in /usr/bin"
log "running the secondary updater ($(chroot "$RH" "/usr/bin/$PYTHON" --version 2>&1))"
set -- --hostos-version "$HOSTOS_VERSION" --image "$REGISTRY_HOST/$LOCAL_IMAGE" --local-image "$REGISTRY_HOST/$LOCAL_IMAGE" \
  --root-dev "$ROOT_DEV" --spare-dev "$SPARE_DEV" --boot-style "$BOOT_STYLE"
[ "$FORCE" = 1 ] && set -- "$@" --force
chroot "$RH" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp "/usr/bin/$PYTHON" /usr/lib/resinhup/resinhup.py "$@"
SECONDARY_RC=$?
release_chroot

case $SECONDARY_RC in
  0) ;;
  2)
    echo "[hup] rerun: the secondary updater's step is done; run upgrade-1.x.sh again after the reboot"
    SERVICES_STOPPED=0
    schedule_reboot
    exit 0 ;;
  3) log "already at $HOSTOS_VERSION"; exit 3 ;;
  *) fail "the secondary updater failed (exit $SECONDARY_RC)" ;;
esac

# --- finish: the supervisor of the new OS ------------------------------------------------------------
phase finish
# The boot settings already select the new OS: from here a failure is a warning, not a failed update
# (the old supervisor keeps running on the new OS until supervisorImage is updated).
if [ -n "$NEW_SUPERVISOR_IMAGE" ]; then
  # The old (stopped) supervisor container goes now, so at boot the engine's restart policy and
  # S60supervisor do not race over it.
  docker rm -f "$SUPERVISOR" > /dev/null 2>&1 && log "old supervisor container removed"
  if jq --arg i "$NEW_SUPERVISOR_IMAGE" '.supervisorImage = $i' "$CONFIG" | write_atomic "$CONFIG"; then
    log "supervisorImage is $NEW_SUPERVISOR_IMAGE"
  else
    log "warning: cannot update supervisorImage in $CONFIG; the new OS starts ${CURRENT_SUPERVISOR_IMAGE##*:}"
  fi
fi
log "update to $HOSTOS_VERSION done: partition $SPARE_PART boots next"
SERVICES_STOPPED=0
schedule_reboot
exit 0
