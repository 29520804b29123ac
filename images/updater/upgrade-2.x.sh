#!/bin/sh
# hupbench reference updater: resinOS 2.x -> 2.x host OS update (DESIGN.md, "The updater under test").
#
#   upgrade-2.x.sh --hostos-version V [--registry URL] [--supervisor-version V] [--no-reboot]
#                  [--force-slug SLUG] [--no-require-upgrade] [--pull-tries N] [--pull-backoff S]
#
# Phases (each announced on stdout as `[hup] phase=<name>`): checks, stop-supervisor, pull,
# format-spare, export, boot-files, supervisor, breadcrumbs, switch-boot, reboot.
# Pulls (the hostOS image, a newer supervisor) get --pull-tries tries (default $HUP_PULL_TRIES or 3),
# the n-th failed one followed by a wait of n x --pull-backoff s (default $HUP_PULL_BACKOFF or 5): each try
# is a `[hup] <time> pull try N/M: IMAGE` line, each wait a `pull try N/M failed: … next try in Ss` line.
# Exit: 0 updated (reboot scheduled unless --no-reboot), 1 failed (also: an earlier update still on
# trial, see the checks), 9 another update holds the lock.
# Until the phase format-spare nothing on the device is modified (the supervisor is restarted on
# failure); after it, the log says what was touched. The active root and the boot settings are only
# changed by switch-boot, the last step before the reboot.
set -u
# A failed `docker export` must fail the export, not leave tar's status.
set -o pipefail 2>/dev/null || true

LOCK=/var/lock/resinhup.lock
LOG_DIR=/mnt/data/resinhup
CONFIG=/mnt/boot/config.json
UENV=/mnt/boot/resinOS_uEnv.txt
STATE=/mnt/state
SUPERVISOR=resin_supervisor
HOSTOS_CONTAINER=resinhup-hostos
NEWROOT=/tmp/resinhup-newroot

usage() { sed -n '4,5p' "$0" | sed 's/^# *//' >&2; }

HOSTOS_VERSION= REGISTRY= SUPERVISOR_VERSION= REBOOT=1 FORCE_SLUG= REQUIRE_UPGRADE=1
PULL_TRIES=${HUP_PULL_TRIES:-3} PULL_BACKOFF=${HUP_PULL_BACKOFF:-5}
while [ $# -gt 0 ]; do
  case $1 in
    --hostos-version) HOSTOS_VERSION=${2:-}; shift 2 || shift ;;
    --hostos-version=*) HOSTOS_VERSION=${1#*=}; shift ;;
    --registry) REGISTRY=${2:-}; shift 2 || shift ;;
    --registry=*) REGISTRY=${1#*=}; shift ;;
    --supervisor-version) SUPERVISOR_VERSION=${2:-}; shift 2 || shift ;;
    --supervisor-version=*) SUPERVISOR_VERSION=${1#*=}; shift ;;
    --no-reboot) REBOOT=0; shift ;;
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
LOG=
if mkdir -p "$LOG_DIR" 2>/dev/null; then
  LOG=$LOG_DIR/upgrade-2.x-$(date +%Y%m%dT%H%M%S).log
  FIFO=/tmp/resinhup.$$.fifo
  rm -f "$FIFO"
  mkfifo "$FIFO"
  tee -a "$LOG" < "$FIFO" &
  TEE_PID=$!
  exec > "$FIFO" 2>&1
  rm -f "$FIFO"
fi

PHASE=none
TOUCHED=
STOPPED_SUPERVISOR=0
log() { echo "[hup] $(date +%H:%M:%S) $*"; }
phase() { PHASE=$1; echo "[hup] phase=$1"; }
fail() {
  log "error: $* (phase $PHASE)"
  exit 1
}

cleanup() {
  rc=$?
  trap - EXIT INT TERM
  if [ "$rc" != 0 ]; then
    mountpoint -q "$NEWROOT" 2>/dev/null && umount "$NEWROOT"
    docker rm -f "$HOSTOS_CONTAINER" > /dev/null 2>&1
    if [ "$STOPPED_SUPERVISOR" = removed ]; then
      log "recreating the supervisor from $CONFIG"
      /etc/rc.d/S60supervisor start > /dev/null 2>&1 || log "warning: could not recreate $SUPERVISOR"
    elif [ "$STOPPED_SUPERVISOR" = 1 ]; then
      log "restarting the supervisor"
      docker start "$SUPERVISOR" > /dev/null 2>&1 || log "warning: could not restart $SUPERVISOR"
    fi
    if [ -n "$TOUCHED" ]; then
      log "FAILED (exit $rc). Modified on the device:$TOUCHED. Active root and boot settings unchanged."
    else
      log "FAILED (exit $rc). Nothing on the device was modified."
    fi
  fi
  [ -n "$LOG" ] && log "log: $LOG"
  exec 1>&- 2>&-
  [ -n "${TEE_PID:-}" ] && wait "$TEE_PID" 2>/dev/null
  exit "$rc"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

# Versions like 2.12.3+rev1: prints -1, 0 or 1 comparing $1 with $2.
version_cmp() {
  awk -v a="$1" -v b="$2" 'function parts(v, out,   n, i, t) {
      sub(/^v/, "", v); gsub(/[+_]rev/, ".", v); gsub(/[+_-]/, ".", v)
      n = split(v, t, "."); for (i = 1; i <= 4; i++) out[i] = (i <= n && t[i] ~ /^[0-9]+$/) ? t[i] + 0 : 0
    }
    BEGIN { parts(a, x); parts(b, y); for (i = 1; i <= 4; i++) { if (x[i] < y[i]) { print -1; exit } if (x[i] > y[i]) { print 1; exit } } print 0 }'
}
# A flat string value of config.json.
config_value() { jq -r --arg k "$1" '.[$k] // empty' "$CONFIG" 2>/dev/null; }
os_release() { sed -n "s/^$1=\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" /etc/os-release | head -n 1; }
# Pulls IMAGE in up to PULL_TRIES tries, waiting PULL_BACKOFF s longer after each failed one. The
# engine keeps the blobs a failed try completed; a blob cut off mid-way is downloaded again whole.
pull_image() { # IMAGE WHAT
  try=1
  while :; do
    log "pull try $try/$PULL_TRIES: $1"
    docker pull "$1" && return 0
    [ "$try" -lt "$PULL_TRIES" ] || fail "cannot pull $2 after $PULL_TRIES tries"
    log "pull try $try/$PULL_TRIES failed: $1; next try in $((PULL_BACKOFF * try))s"
    sleep $((PULL_BACKOFF * try))
    try=$((try + 1))
  done
}
# `docker export` writes the container's root, not the image's: Docker's init layer puts a /.dockerenv
# and an empty /etc/hostname, /etc/hosts and /etc/resolv.conf over the image's own (resolv.conf is a
# link to /run in the image). A hostOS image carries its own copies in usr/share/hostos/engine-shadowed.tar.
undo_init_layer() { # ROOT
  rm -f "$1/.dockerenv"
  shadowed=$1/usr/share/hostos/engine-shadowed.tar
  if [ ! -f "$shadowed" ]; then
    log "warning: the image has no /usr/share/hostos/engine-shadowed.tar: /etc/hostname, /etc/hosts and /etc/resolv.conf are as the engine made them"
    return 0
  fi
  rm -f "$1/etc/hostname" "$1/etc/hosts" "$1/etc/resolv.conf"
  tar -x -C "$1" -f "$shadowed" || fail "cannot put the image's /etc files back from $shadowed"
}
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1000000 }'; }
# The target's hostOS image as the registry serves it under $TAG: its manifest, and its config (the
# labels), read once for the checks below.
TARGET_MANIFEST= TARGET_CONFIG=
read_target_image() {
  TARGET_MANIFEST=$(timeout 30 wget -q -O - --header "Accept: application/vnd.docker.distribution.manifest.v2+json" "$REGISTRY/v2/resin/resinos/manifests/$TAG") || return 1
  digest=$(echo "$TARGET_MANIFEST" | jq -r '.config.digest // empty' 2> /dev/null)
  [ -z "$digest" ] || TARGET_CONFIG=$(timeout 30 wget -q -O - "$REGISTRY/v2/resin/resinos/blobs/$digest")
  return 0
}
target_label() { echo "$TARGET_CONFIG" | jq -r --arg k "$1" '.config.Labels[$k] // empty' 2> /dev/null; }
# Refuses an image that says it is another release than the one asked for (a registry serving a
# mislabelled release under this tag): its labels, where it has them, must name the target version
# and this device type. The exported root's os-release is checked again after the export.
check_image_labels() {
  labelled=$(target_label io.resin.os.version)
  labelled_type=$(target_label io.resin.device-type)
  mismatch=0
  [ -n "$labelled" ] && [ "$labelled" != "$HOSTOS_VERSION" ] && mismatch=1
  [ -n "$labelled_type" ] && [ "$labelled_type" != "$SLUG" ] && mismatch=1
  [ "$mismatch" = 0 ] ||
    fail "mislabelled hostOS image: resin/resinos:$TAG says it is ${labelled:-an unlabelled version} for ${labelled_type:-an unlabelled device type} (io.resin.os.version, io.resin.device-type), not $HOSTOS_VERSION for $SLUG; refusing before anything is written"
  log "image labels: ${labelled:-no version label}, ${labelled_type:-no device-type label}"
}
# The least the target's root filesystem needs, in bytes, then how that is known: the image's
# io.resin.os.rootfs-bytes label (what its root takes on ext4), or else the size of its compressed layers.
target_root_bytes() {
  bytes=$(target_label io.resin.os.rootfs-bytes)
  case $bytes in
    '' | *[!0-9]*) echo "$(echo "$TARGET_MANIFEST" | jq '[.layers[].size] | add // 0') the size of its compressed layers" ;;
    *) echo "$bytes the size of its files" ;;
  esac
}
# Refuses a spare root smaller than the least the target's root needs: a lower bound against the
# partition's whole size, so a refusal here is certain (a root that fits only without the filesystem's
# own overhead still fails when it is written).
check_spare_fits() { # SPARE_DEV SPARE_LABEL
  spare_bytes=$(($(cat "/sys/class/block/${1##*/}/size") * 512))
  need=$(target_root_bytes)
  [ "${need%% *}" -le "$spare_bytes" ] ||
    fail "spare root too small: $1 ($2) holds $(mb "$spare_bytes") MB but the root filesystem of $HOSTOS_VERSION needs at least $(mb "${need%% *}") MB (${need#* }); refusing before anything is written"
  log "the root of $HOSTOS_VERSION needs at least $(mb "${need%% *}") MB (${need#* }); the spare root $1 holds $(mb "$spare_bytes") MB"
}

log "upgrade-2.x.sh: to $HOSTOS_VERSION${LOG:+, log $LOG}"

# --- checks: nothing is modified before they pass ---------------------------------------------------
phase checks
CURRENT_VERSION=$(os_release VERSION)
MACHINE=$(os_release MACHINE)
LAYOUT=$(os_release RESIN_LAYOUT)
log "running $CURRENT_VERSION on $MACHINE (layout ${LAYOUT:-unknown})"
case $CURRENT_VERSION in 1.*) fail "this device runs resinOS $CURRENT_VERSION (1.x): use upgrade-1.x.sh or upgrade-1.x-to-2.x.sh" ;; esac
[ "$LAYOUT" = 1.x ] && fail "this device has the 1.x partition layout: use upgrade-1.x-to-2.x.sh"
findfs LABEL=resin-rootA > /dev/null 2>&1 && findfs LABEL=resin-rootB > /dev/null 2>&1 ||
  fail "no resin-rootA/resin-rootB partitions: not a 2.x layout"

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

cmp=$(version_cmp "$HOSTOS_VERSION" "$CURRENT_VERSION")
if [ "$REQUIRE_UPGRADE" = 1 ]; then
  [ "$cmp" = 0 ] && fail "already at $CURRENT_VERSION: nothing to do (pass --no-require-upgrade to reinstall)"
  [ "$cmp" = -1 ] && fail "downgrade refused: target $HOSTOS_VERSION is older than the running $CURRENT_VERSION (pass --no-require-upgrade to force)"
else
  [ "$cmp" = 1 ] || log "warning: $HOSTOS_VERSION is not newer than $CURRENT_VERSION; going on (--no-require-upgrade)"
fi

[ -n "$REGISTRY" ] || REGISTRY=$(config_value registry)
[ -n "$REGISTRY" ] || fail "no registry: pass --registry or set \"registry\" in $CONFIG"
case $REGISTRY in http://* | https://*) ;; *) REGISTRY=http://$REGISTRY ;; esac
REGISTRY=${REGISTRY%/}
REGISTRY_HOST=${REGISTRY#*://}
TAG=$(echo "$HOSTOS_VERSION" | tr + _)-$SLUG
# Pulled by registry host; the engine stores it under its name without the host.
IMAGE=$REGISTRY_HOST/resin/resinos:$TAG
timeout 15 wget -q -O /dev/null "$REGISTRY/v2/" ||
  fail "registry $REGISTRY unreachable (GET $REGISTRY/v2/ failed)"
timeout 30 wget -q -O /dev/null --header "Accept: application/vnd.docker.distribution.manifest.v2+json" \
  "$REGISTRY/v2/resin/resinos/manifests/$TAG" ||
  fail "image resin/resinos:$TAG not found in registry $REGISTRY (no such tag for version $HOSTOS_VERSION, device type $SLUG)"
read_target_image || fail "cannot read the manifest of resin/resinos:$TAG from $REGISTRY"
check_image_labels

ROOT_DEV=
for word in $(cat /proc/cmdline); do case $word in root=/dev/*) ROOT_DEV=${word#root=} ;; esac; done
[ -n "$ROOT_DEV" ] || ROOT_DEV=$(awk '$2 == "/" && $1 ~ /^\/dev\// { print $1; exit }' /proc/mounts)
ROOT_PART=${ROOT_DEV##*[!0-9]}
PREFIX=${ROOT_DEV%"$ROOT_PART"}
case $ROOT_PART in
  2) SPARE_PART=3 SPARE_LABEL=resin-rootB ;;
  3) SPARE_PART=2 SPARE_LABEL=resin-rootA ;;
  *) fail "cannot tell the active root partition from root=$ROOT_DEV" ;;
esac
SPARE_DEV=$PREFIX$SPARE_PART
[ -b "$SPARE_DEV" ] || fail "spare root $SPARE_DEV is not a block device"
grep -q "^$SPARE_DEV " /proc/mounts && fail "spare root $SPARE_DEV is mounted"
check_spare_fits "$SPARE_DEV" "$SPARE_LABEL"
ENV_PART=$(sed -n 's/^resin_root_part=//p' "$UENV" 2>/dev/null | tr -d '\r ')
[ -z "$ENV_PART" ] || [ "$ENV_PART" = "$ROOT_PART" ] ||
  log "warning: running from partition $ROOT_PART but $UENV says resin_root_part=$ENV_PART"
# An update on trial (this OS runs from the root the boot settings name, upgrade_available=1 and
# rollback-health's breadcrumb still there) has no verdict yet, and the root it would roll back to is
# the spare root this update would reformat. Refused until rollback-health keeps it or rolls it back.
TRIAL=$(sed -n 's/^upgrade_available=//p' "$UENV" 2>/dev/null | tr -d '\r ' | tail -n 1)
if [ "$TRIAL" = 1 ] && [ "$ENV_PART" = "$ROOT_PART" ] && [ -f "$STATE/rollback-health-breadcrumb" ]; then
  PREVIOUS=$(cat "$STATE/rollback-previous-version" 2>/dev/null)
  fail "an update is on trial: ${PREVIOUS:-the previous OS} -> $CURRENT_VERSION on partition $ROOT_PART awaits rollback-health's verdict (upgrade_available=1, $STATE/rollback-health-breadcrumb); its rollback target is the spare root $SPARE_DEV ($SPARE_LABEL). Refusing to update to $HOSTOS_VERSION: run it again once the trial is kept or rolled back"
fi
log "active root $ROOT_DEV (partition $ROOT_PART); spare root $SPARE_DEV ($SPARE_LABEL); image $IMAGE"
log "checks passed"

# --- stop the supervisor; the app keeps running --------------------------------------------------------
phase stop-supervisor
if docker ps --format '{{.Names}}' | grep -qx "$SUPERVISOR"; then
  docker stop "$SUPERVISOR" > /dev/null || fail "cannot stop $SUPERVISOR"
  STOPPED_SUPERVISOR=1
  log "supervisor stopped; running containers: $(docker ps --format '{{.Names}}' | tr '\n' ' ')"
else
  log "supervisor not running"
fi

# --- pull the hostOS image ----------------------------------------------------------------------------
phase pull
pull_image "$IMAGE" "$IMAGE"

# --- format the spare root -----------------------------------------------------------------------------
phase format-spare
TOUCHED="$TOUCHED spare root $SPARE_DEV ($SPARE_LABEL) reformatted"
# nodiscard: discarding the whole partition first buys nothing (the export rewrites it) and on an SD
# card is slow; QEMU's SD model erased synchronously and froze the emulated Pi 3 for 11 s.
mkfs.ext4 -q -F -L "$SPARE_LABEL" -O ^orphan_file -E nodiscard "$SPARE_DEV" || fail "mkfs.ext4 of $SPARE_DEV failed"

# --- export the image onto it ----------------------------------------------------------------------
phase export
mkdir -p "$NEWROOT"
mount -t ext4 "$SPARE_DEV" "$NEWROOT" || fail "cannot mount $SPARE_DEV"
docker rm -f "$HOSTOS_CONTAINER" > /dev/null 2>&1
docker create --name "$HOSTOS_CONTAINER" "$IMAGE" > /dev/null || fail "cannot create a container of $IMAGE"
docker export "$HOSTOS_CONTAINER" | tar -x -C "$NEWROOT" || fail "exporting $IMAGE onto $SPARE_DEV failed"
docker rm -f "$HOSTOS_CONTAINER" > /dev/null
undo_init_layer "$NEWROOT"
new_os_release() { sed -n "s/^$1=\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" "$NEWROOT/etc/os-release" 2>/dev/null | head -n 1; }
NEW_VERSION=$(new_os_release VERSION)
NEW_MACHINE=$(new_os_release MACHINE)
for f in /boot/vmlinuz /boot/initrd.img /sbin/init /etc/os-release; do
  [ -e "$NEWROOT$f" ] || fail "the exported image lacks $f"
done
# The second line against a mislabelled release (one without labels, or lying in them): what the
# root says it is, before anything on resin-boot or the boot settings changes.
[ "$NEW_VERSION" = "$HOSTOS_VERSION" ] && [ "$NEW_MACHINE" = "$SLUG" ] ||
  fail "mislabelled hostOS image: the root exported from resin/resinos:$TAG says VERSION='$NEW_VERSION' MACHINE='$NEW_MACHINE' in /etc/os-release, not $HOSTOS_VERSION for $SLUG; refusing before the boot files and the boot settings"
log "new root on $SPARE_DEV: $(du -sk "$NEWROOT" | cut -f1) KiB, VERSION=$NEW_VERSION, MACHINE=$NEW_MACHINE"

# --- boot-partition files -------------------------------------------------------------------------------
phase boot-files
# The image carries the target's resin-boot files under /resin-boot; they replace the old ones, except
# the device's own (as balenaOS's boot-files hook keeps them): config.json, the boot settings and the
# trial's count (resinOS_uEnv.txt, bootcount.env), the firmware settings a user edits (config.txt,
# extra_uEnv.txt), network settings (system-connections/) and a custom splash. Files of the old release
# the target lacks are left. Each file is written whole under a temporary name, synced, then renamed
# (and synced): a cut leaves every boot file either the old or the new one, and the boot settings
# still name the old root.
if [ -d "$NEWROOT/resin-boot" ]; then
  boot_files_started=$(date +%s)
  # Temporaries an earlier, cut update left behind.
  find /mnt/boot -name '*.hup-new' -type f -exec rm -f {} + 2> /dev/null
  is_device_own() {
    case $1 in
      config.json | resinOS_uEnv.txt | bootcount.env | config.txt | extra_uEnv.txt | system-connections/* | splash/*) return 0 ;;
    esac
    return 1
  }
  size_kb() { [ -f "$1" ] && du -k "$1" | cut -f1 || echo 0; }
  list=$(cd "$NEWROOT/resin-boot" && find . -type f | sed 's|^\./||' | sort)
  # The space check before the first write, as balenaOS's boot-files hook does (512 KiB kept spare):
  # what the new files add over the ones they replace, plus the largest one's temporary copy.
  grow_kb=0 largest_kb=0
  for f in $list; do
    is_device_own "$f" && continue
    new_kb=$(size_kb "$NEWROOT/resin-boot/$f")
    grow_kb=$((grow_kb + new_kb - $(size_kb "/mnt/boot/$f")))
    [ "$new_kb" -le "$largest_kb" ] || largest_kb=$new_kb
  done
  free_kb=$(df -k /mnt/boot | awk 'NR == 2 { print $4 }')
  [ $((grow_kb + largest_kb + 512)) -le "$free_kb" ] ||
    fail "resin-boot too full for the boot files of $HOSTOS_VERSION: they need $((grow_kb + largest_kb)) KiB more, $free_kb KiB free (512 KiB kept spare); boot files unchanged"
  TOUCHED="$TOUCHED, boot-partition files"
  kept= count=0 same=0 bytes=0
  for f in $list; do
    if is_device_own "$f"; then
      kept="$kept $f"
      continue
    fi
    if [ -f "/mnt/boot/$f" ] && cmp -s "$NEWROOT/resin-boot/$f" "/mnt/boot/$f"; then
      same=$((same + 1))
      continue
    fi
    mkdir -p "/mnt/boot/$(dirname "$f")" &&
      cp "$NEWROOT/resin-boot/$f" "/mnt/boot/$f.hup-new" && sync &&
      mv "/mnt/boot/$f.hup-new" "/mnt/boot/$f" && sync ||
      fail "cannot write the boot file /mnt/boot/$f"
    size=$(wc -c < "$NEWROOT/resin-boot/$f")
    count=$((count + 1)) bytes=$((bytes + size))
    log "boot file $f ($size bytes)"
  done
  log "boot files: $count written ($bytes bytes), $same already the target's, in $(($(date +%s) - boot_files_started))s; the device's own kept:${kept:- none}"
else
  log "the image has no /resin-boot files; resin-boot unchanged"
fi
sync
umount "$NEWROOT" || fail "cannot unmount $NEWROOT"

# --- the supervisor, when the target ships a newer one ---------------------------------------------------
phase supervisor
CURRENT_SUPERVISOR_IMAGE=$(config_value supervisorImage)
CURRENT_SUPERVISOR=${CURRENT_SUPERVISOR_IMAGE##*:v}
[ "$CURRENT_SUPERVISOR" = "$CURRENT_SUPERVISOR_IMAGE" ] && CURRENT_SUPERVISOR=
if [ -z "$SUPERVISOR_VERSION" ]; then
  log "no --supervisor-version: supervisor left at ${CURRENT_SUPERVISOR:-unknown}"
elif [ -z "$CURRENT_SUPERVISOR_IMAGE" ]; then
  log "no supervisorImage in $CONFIG: supervisor not managed here"
elif [ -n "$CURRENT_SUPERVISOR" ] && [ "$(version_cmp "$SUPERVISOR_VERSION" "$CURRENT_SUPERVISOR")" != 1 ]; then
  log "supervisor: $SUPERVISOR_VERSION is not newer than the running $CURRENT_SUPERVISOR: no supervisor update"
else
  NEW_SUPERVISOR_IMAGE=${CURRENT_SUPERVISOR_IMAGE%:*}:v$SUPERVISOR_VERSION
  pull_image "$REGISTRY_HOST/$NEW_SUPERVISOR_IMAGE" "supervisor $NEW_SUPERVISOR_IMAGE"
  # The engine stores the pull under the registry's name; the supervisor starts from config.json's.
  docker tag "$REGISTRY_HOST/$NEW_SUPERVISOR_IMAGE" "$NEW_SUPERVISOR_IMAGE" || fail "cannot tag $NEW_SUPERVISOR_IMAGE"
  # The old (stopped) supervisor container goes now, so at boot the engine's restart policy and
  # S60supervisor do not race over it (a removal racing a restart deletes through its /mnt/boot bind).
  docker rm -f "$SUPERVISOR" > /dev/null 2>&1 && STOPPED_SUPERVISOR=removed
  TOUCHED="$TOUCHED, old supervisor container removed, supervisorImage in $CONFIG"
  jq --arg i "$NEW_SUPERVISOR_IMAGE" '.supervisorImage = $i' "$CONFIG" > "$CONFIG.new" && sync && mv "$CONFIG.new" "$CONFIG" ||
    fail "cannot update supervisorImage in $CONFIG"
  log "supervisor $CURRENT_SUPERVISOR -> $SUPERVISOR_VERSION ($NEW_SUPERVISOR_IMAGE; started on the next boot)"
fi

# --- breadcrumbs for the rollback services -------------------------------------------------------------
phase breadcrumbs
TOUCHED="$TOUCHED, breadcrumbs in $STATE"
# Verdicts of an earlier update's trial go; this update gets its own.
rm -f "$STATE/rollback-altboot-triggered" "$STATE/rollback-health-triggered" "$STATE/rollback-health-failed"
touch "$STATE/rollback-health-breadcrumb" "$STATE/rollback-altboot-breadcrumb" || fail "cannot write breadcrumbs in $STATE"
echo "$CURRENT_VERSION" > "$STATE/rollback-previous-version"
sync

# --- switch the boot settings (atomically: temp file, sync, rename) ------------------------------------
phase switch-boot
# A fresh trial: U-Boot counts this update's boots from zero (gone before the switch, so a cut
# between the two never leaves an old count against the new root).
rm -f /mnt/boot/bootcount.env && sync
{
  grep -v -e '^resin_root_part=' -e '^upgrade_available=' "$UENV" 2>/dev/null
  echo "resin_root_part=$SPARE_PART"
  echo "upgrade_available=1"
} > "$UENV.new" || fail "cannot write $UENV.new"
sync
mv "$UENV.new" "$UENV" || fail "cannot replace $UENV"
sync
log "boot switched to partition $SPARE_PART ($SPARE_LABEL), upgrade_available=1"
log "update to $HOSTOS_VERSION done"

# --- reboot ---------------------------------------------------------------------------------------------
if [ "$REBOOT" = 1 ]; then
  phase reboot
  log "rebooting in 2s"
  # Detached, so this script exits 0 and its output reaches the caller before the reboot.
  (sleep 2; sync; reboot) < /dev/null > /dev/null 2>&1 9>&- &
else
  log "not rebooting (--no-reboot); the new OS starts on the next boot"
fi
exit 0
