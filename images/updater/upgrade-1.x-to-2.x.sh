#!/bin/sh
# hupbench reference updater: resinOS 1.x -> 2.x host OS migration (DESIGN.md, "The updater under test").
#
#   upgrade-1.x-to-2.x.sh --hostos-version V [--registry URL] [--supervisor-version V] [--no-reboot]
#                         [--force-slug SLUG] [--no-require-upgrade] [--tools-image REF] [--pull-tries N] [--pull-backoff S]
#
# Phases (each announced on stdout as `[hup] phase=<name>`):
#   checks; when running from resin-updt (p3), the pre-step: stop-app, copy-root, switch-boot, reboot,
#   and exit 0 with a `[hup] rerun:` line (run the script again once the device is back on p2);
#   otherwise stop-services, remove-containers, tools, pull, stage, backup, layout, format, restore,
#   repartition, populate, boot-files, wifi, supervisor, switch-boot, reboot.
# Pulls (the tools image, the 2.x hostOS image) get --pull-tries tries (default $HUP_PULL_TRIES or 3), the
# n-th failed one followed by a wait of n x --pull-backoff s (default $HUP_PULL_BACKOFF or 5), each logged
# (`pull try N/M: IMAGE`, `pull try N/M failed: … next try in Ss`).
# The supervisor: config.json names the target's only when it is newer than the running one.
# Exit: 0 migrated or pre-step done (reboot scheduled unless --no-reboot), 1 failed, 9 another update
# holds the lock.
#
# What is modified when: until `stage` nothing but the engine's store (`pull` pulls the 2.x hostOS image
# into the 1.x engine); `stage` reformats the spare root resin-updt (p3, the 1.x OS copy that is not
# running) and writes onto it a copy of the tools and the 2.x root, exported from the image and
# zstd-compressed (the staged OS: resinhup's newos.tar.gz); `backup` writes beside them the compressed
# resin-data backup and resin-conf's files. The ~170 MB backup cap is what that arithmetic leaves: the
# spare root's space less the staged OS and the tools. A backup over it is refused there, with the
# partition table, resin-conf, resin-data and the boot settings untouched, and the supervisor and the
# app are started again. The staged OS goes to the new resin-data with the restore (the spare root is
# moved by the repartition) and becomes resin-rootB in `populate`.
# The partition table is rewritten with sfdisk, and the kernel told with partx (both from the tools
# image), in two stages, as resinhup's did with parted, so that the backup is never where a partition is
# being made:
#   layout      writes the resume point `stage=data` to resin-boot/resinhup-migration, resin-state (the
#               resin-conf files) at its 2.x place, then the table with resin-state and resin-data
#               (extended partition) at their 2.x places, p2 and p3 as they are;
#   format      resin-data as ext4;  restore  resin-data from the backup, checked, then `stage=roots`;
#   repartition the table with resin-rootA (p2, the running root) grown in place and resin-rootB (p3)
#               moved after it; labels; resin-rootB made.
# The target's geometry comes from the tools image (hup-tools/layout-2.x: the 2.x card's table);
# resin-data runs to the end of this card.
# Power cuts: the 1.x root (p2) keeps its place and its filesystem throughout, and the boot settings
# name it until switch-boot, so the 1.x OS boots after a cut at any point before switch-boot, with its SSH
# host key (resin-conf, or resin-state written before the table names it). A rerun of this script resumes
# from the resume point. Not safe: a cut inside sfdisk's own write (the MBR, then the extended
# partition's EBRs: milliseconds; a torn stage-1 table can lose both resin-conf and resin-state until a
# rerun from the serial console); a device that boots the 1.x OS after a cut in layout, format or restore
# has no resin-data until the rerun restores it.
#
# WiFi: the connman-style `network/network.config` entry of config.json's `files` becomes
# NetworkManager keyfiles under resin-boot/system-connections/: each `Type = wifi` section
# `service_<name>` a keyfile `resin-<name>` (`_` -> `-`), except that `service_home_wifi` (the 1.x
# WiFi settings) becomes `resin-wifi`; WiFi Connect's `service_wifi_connect` becomes `resin-wifi-connect`.
set -u
# A failed tar, zstd or docker export must fail the pipeline, not leave the last command's status.
set -o pipefail 2>/dev/null || true

LOCK=/var/lock/resinhup.lock
LOG_DIR=/mnt/data/resinhup
# Note: the log is written to tmpfs and copied into resin-data at the end: resin-data is reformatted
# while the updater runs.
TMP_LOG_DIR=/tmp/resinhup
CONFIG=/mnt/boot/config.json
STATE=/mnt/state
SUPERVISOR=resin_supervisor
HOSTOS_CONTAINER=resinhup-hostos
TOOLS_CONTAINER=resinhup-tools
TOOLS=/tmp/resinhup-tools
BACKUP_MNT=/tmp/resinhup-backup
NEWROOT=/tmp/resinhup-newroot
VERIFY_MNT=/tmp/resinhup-verify
SOURCE_MNT=/tmp/resinhup-source
BACKUP_FILE=resin-data.tar.zst
TOOLS_STASH=hup-tools.tar.gz
OS_STASH=hostos-root.tar.zst
MIGRATION=/mnt/boot/resinhup-migration
STATE_TREE=/tmp/resinhup-state
STATE_IMG=/tmp/resinhup-state.img
RESUME=

usage() { sed -n '4,5p' "$0" | sed 's/^# *//' >&2; }

HOSTOS_VERSION= REGISTRY= SUPERVISOR_VERSION= REBOOT=1 FORCE_SLUG= REQUIRE_UPGRADE=1 TOOLS_IMAGE_ARG=
PULL_TRIES=${HUP_PULL_TRIES:-3} PULL_BACKOFF=${HUP_PULL_BACKOFF:-5}
while [ $# -gt 0 ]; do
  case $1 in
    --hostos-version) HOSTOS_VERSION=${2:-}; shift 2 || shift ;;
    --hostos-version=*) HOSTOS_VERSION=${1#*=}; shift ;;
    --registry) REGISTRY=${2:-}; shift 2 || shift ;;
    --registry=*) REGISTRY=${1#*=}; shift ;;
    --supervisor-version) SUPERVISOR_VERSION=${2:-}; shift 2 || shift ;;
    --supervisor-version=*) SUPERVISOR_VERSION=${1#*=}; shift ;;
    --tools-image) TOOLS_IMAGE_ARG=${2:-}; shift 2 || shift ;;
    --tools-image=*) TOOLS_IMAGE_ARG=${1#*=}; shift ;;
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
LOG_NAME=upgrade-1.x-to-2.x-$(date +%Y%m%dT%H%M%S).log
LOG=
if mkdir -p "$TMP_LOG_DIR" 2>/dev/null; then
  LOG=$TMP_LOG_DIR/$LOG_NAME
  FIFO=/tmp/resinhup.$$.fifo
  rm -f "$FIFO"
  mkfifo "$FIFO"
  tee -a "$LOG" < "$FIFO" &
  TEE_PID=$!
  exec > "$FIFO" 2>&1
  rm -f "$FIFO"
fi

PHASE=none
# What the failure path must put back, and what it must report.
TOUCHED=
SERVICES_STOPPED=0
POINT_OF_NO_RETURN=0
log() { echo "[hup] $(date +%H:%M:%S) $*"; }
phase() { PHASE=$1; echo "[hup] phase=$1"; }
fail() {
  log "error: $* (phase $PHASE)"
  exit 1
}
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1000000 }'; }

# Writes stdin to FILE atomically (temp file, sync, rename).
write_atomic() { # FILE
  cat > "$1.new" && sync && mv "$1.new" "$1" && sync
}

# Before the point of no return, what `layout` unmounted goes back (the 1.x mounts of S10mounts).
remount_1x() {
  mountpoint -q /mnt/data || mount -t btrfs "$(findfs LABEL=resin-data)" /mnt/data || log "warning: cannot mount resin-data again"
  mountpoint -q /mnt/conf || mount -t ext4 "$(findfs LABEL=resin-conf)" /mnt/conf || log "warning: cannot mount resin-conf again"
  mountpoint -q /mnt/state || mount --bind /mnt/conf /mnt/state || log "warning: cannot bind resin-conf on /mnt/state again"
}

cleanup() {
  rc=$?
  trap - EXIT INT TERM
  if [ "$rc" != 0 ]; then
    for m in "$NEWROOT" "$VERIFY_MNT" "$SOURCE_MNT"; do mountpoint -q "$m" 2>/dev/null && umount "$m"; done
    docker rm -f "$HOSTOS_CONTAINER" "$TOOLS_CONTAINER" > /dev/null 2>&1
    # A pulled hostOS image is of no use to the 1.x OS (a rerun pulls what it lacks again).
    [ "$POINT_OF_NO_RETURN" = 1 ] || [ -z "${IMAGE:-}" ] || docker rmi -f "$IMAGE" > /dev/null 2>&1
    if [ "$POINT_OF_NO_RETURN" = 1 ]; then
      log "FAILED (exit $rc) after the point of no return. Modified on the device:$TOUCHED."
      log "The 1.x OS still runs on a card part way to the 2.x layout. Run this script again (same --hostos-version): it resumes from $MIGRATION ($(sed -n 's/^stage=//p' "$MIGRATION" 2>/dev/null)); resin-data is in $BACKUP_FILE on the spare root until the log says it was restored."
    else
      mountpoint -q "$BACKUP_MNT" 2>/dev/null && umount "$BACKUP_MNT"
      if [ "$SERVICES_STOPPED" = 1 ]; then
        remount_1x
        engine_running || /etc/rc.d/S50engine start
        log "starting the supervisor again (it pulls its image and starts the app)"
        /etc/rc.d/S60supervisor start > /dev/null 2>&1 || log "warning: could not start the supervisor"
      fi
      if [ -n "$TOUCHED" ]; then
        log "FAILED (exit $rc). Modified on the device:$TOUCHED. Partition table, resin-conf, resin-data, the active root and the boot settings unchanged."
      else
        log "FAILED (exit $rc). Nothing on the device was modified."
      fi
    fi
  fi
  rm -rf "$TOOLS"
  KEPT=
  if [ -n "$LOG" ] && mountpoint -q /mnt/data 2>/dev/null && mkdir -p "$LOG_DIR" 2>/dev/null; then KEPT=$LOG_DIR/$LOG_NAME; fi
  [ -n "$KEPT" ] && log "log: $KEPT"
  exec 1>&- 2>&-
  [ -n "${TEE_PID:-}" ] && wait "$TEE_PID" 2>/dev/null
  [ -n "$KEPT" ] && cp "$LOG" "$KEPT"
  sync
  # Note: the reboot's 2 s start only now, with the log copied and synced: scheduled earlier, a slow
  # copy or sync could let the reboot overtake this script's exit, and the caller would never see its
  # status.
  if [ "$rc" = 0 ] && [ "$REBOOT_AFTER_EXIT" = 1 ]; then
    (sleep 2; sync; reboot) < /dev/null > /dev/null 2>&1 9>&- &
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

config_value() { jq -r --arg k "$1" '.[$k] // empty' "$CONFIG" 2>/dev/null; }
os_release() { sed -n "s/^$1=\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" /etc/os-release | head -n 1; }
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
# The size of an image's compressed layers in the registry, in bytes.
image_layers_bytes() { # REPO TAG
  timeout 30 wget -q -O - --header "Accept: application/vnd.docker.distribution.manifest.v2+json" "$REGISTRY/v2/$1/manifests/$2" |
    jq '[.layers[].size] | add // 0'
}
# Refuses a spare root that cannot hold the staged OS and the tools (the size of their compressed
# layers: the staged export is recompressed, so about as large), before anything is written.
check_spare_holds_stage() { # SPARE_DEV SPARE_LABEL
  spare_bytes=$(part_bytes "$1")
  os_bytes=$(image_layers_bytes resin/resinos "$TAG") || fail "cannot read the manifest of resin/resinos:$TAG from $REGISTRY"
  tools_bytes=$(image_layers_bytes "${TOOLS_IMAGE%:*}" "${TOOLS_IMAGE##*:}") || fail "cannot read the manifest of $TOOLS_IMAGE from $REGISTRY"
  need=$((os_bytes + tools_bytes))
  [ "$need" -le "$spare_bytes" ] ||
    fail "spare root too small: $1 ($2) holds $(mb "$spare_bytes") MB but staging $HOSTOS_VERSION needs at least $(mb "$need") MB (its hostOS and the tools: the size of their compressed layers); refusing before anything is written"
  log "staging $HOSTOS_VERSION takes about $(mb "$need") MB (the compressed layers of its hostOS and the tools); the spare root $1 holds $(mb "$spare_bytes") MB, the rest is the backup cap"
}
# Refuses a 2.x resin-rootB smaller than the least the target's root needs: a lower bound against the
# partition's whole size, so a refusal here is certain.
check_root_b_fits() { # ROOT_B_BYTES
  need=$(target_root_bytes resin/resinos "$TAG") || fail "cannot read the manifest of resin/resinos:$TAG from $REGISTRY"
  [ "${need%% *}" -le "$1" ] ||
    fail "resin-rootB too small: the 2.x layout's resin-rootB holds $(mb "$1") MB but the root filesystem of $HOSTOS_VERSION needs at least $(mb "${need%% *}") MB (${need#* }); refusing before anything is written"
  log "the root of $HOSTOS_VERSION needs at least $(mb "${need%% *}") MB (${need#* }); resin-rootB will hold $(mb "$1") MB"
}
version_cmp() {
  awk -v a="$1" -v b="$2" 'function parts(v, out,   n, i, t) {
      sub(/^v/, "", v); gsub(/[+_]rev/, ".", v); gsub(/[+_-]/, ".", v)
      n = split(v, t, "."); for (i = 1; i <= 4; i++) out[i] = (i <= n && t[i] ~ /^[0-9]+$/) ? t[i] + 0 : 0
    }
    BEGIN { parts(a, x); parts(b, y); for (i = 1; i <= 4; i++) { if (x[i] < y[i]) { print -1; exit } if (x[i] > y[i]) { print 1; exit } } print 0 }'
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
part_bytes() { echo $(($(cat "/sys/class/block/${1##*/}/size") * 512)); }
# 1.x boot settings: which file selects the root, and a writer for it.
boot_settings_root() {
  case $BOOT_STYLE in
    uenv) sed -n 's/^bootpart=1:\([0-9]\).*/\1/p' /mnt/boot/uEnv.txt | tail -n 1 ;;
    cmdline) tr ' ' '\n' < /mnt/boot/cmdline.txt | sed -n "s#^root=$PREFIX\([0-9]\)\$#\1#p" | tail -n 1 ;;
  esac
}
write_boot_settings_root() { # PART
  case $BOOT_STYLE in
    uenv) { grep -v '^bootpart=' /mnt/boot/uEnv.txt; echo "bootpart=1:$1"; } | write_atomic /mnt/boot/uEnv.txt ;;
    cmdline) sed "s#root=[^ ]*#root=$PREFIX$1#" /mnt/boot/cmdline.txt | write_atomic /mnt/boot/cmdline.txt ;;
  esac
}
# S60supervisor starts the supervisor in the background, pulling it first when it is missing (after a
# reboot mid-migration it is); left running, it starts the supervisor mid-update, whose mounts keep
# resin-data busy. It and what it runs (a pull) end here; the failure path starts the supervisor again.
kill_tree() { # PID
  local child
  for child in $(awk -v p="$1" '$4 == p { print $1 }' /proc/[0-9]*/stat 2> /dev/null); do kill_tree "$child"; done
  kill "$1" 2> /dev/null
}
stop_supervisor_starter() {
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [ "$pid" = $$ ] && continue
    case $(tr '\0' ' ' < "$p/cmdline" 2> /dev/null) in
      *rc.d/S60supervisor*) kill_tree "$pid" && log "stopped S60supervisor's starter (pid $pid): it would start the supervisor mid-update" ;;
    esac
  done
}
# The engine's daemons, as S50engine records them: moby's dockerd and containerd, or the lean
# engine's loop. Both keep their stores on resin-data.
ENGINE_PIDS="/run/dockerd.pid /run/containerd.pid /run/docker/engine.pid"
engine_running() {
  for f in /run/dockerd.pid /run/docker/engine.pid; do [ -f "$f" ] && [ -d "/proc/$(cat "$f")" ] && return 0; done
  return 1
}
# dockerd first (it shuts its containers and its storage driver down), then containerd. Under
# emulation dockerd takes well over 10 s to stop.
stop_engine() {
  for f in $ENGINE_PIDS; do
    [ -f "$f" ] || continue
    engine=$(cat "$f")
    kill "$engine" 2> /dev/null
    n=0
    while [ -d "/proc/$engine" ]; do
      n=$((n + 1))
      [ $n -gt 600 ] && fail "the engine's ${f##*/} (pid $engine) did not stop within 120s"
      sleep 0.2
    done
    rm -f "$f"
  done
  rm -f /run/engine-ready
  # dockerd binds its store onto itself (/mnt/data/docker, and the btrfs driver's home in it) and
  # undoes that when it shuts down cleanly; what a harder stop left goes here, innermost first.
  for m in $(awk '$2 ~ "^/mnt/data/(docker|containerd)(/|$)" { print $2 }' /proc/mounts | sort -r); do
    umount "$m" && log "unmounted $m (left by the engine)"
  done
}
# The resume point on resin-boot (not repartitioned): `data` or `roots`, and the target.
mark_stage() { # STAGE
  printf 'stage=%s\ntarget=%s\n' "$1" "$HOSTOS_VERSION" | write_atomic "$MIGRATION" || fail "cannot write $MIGRATION"
  log "resume point: stage $1 ($MIGRATION)"
}
sys_part() { cat "/sys/class/block/${PREFIX##*/}$1/$2" 2> /dev/null; }
target_part() { awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$LAYOUT_FILE"; } # N FIELD(2 start, 3 size)
# The 2.x geometry from the tools image (the target card's table), checked against this card.
plan_layout() {
  LAYOUT_FILE=$TOOLS/hup-tools/layout-2.x
  [ -f "$LAYOUT_FILE" ] || fail "$TOOLS_IMAGE has no hup-tools/layout-2.x (the 2.x partition table)"
  LABEL_ID=$(echo "$TABLE" | sed -n 's/^label-id: *//p')
  DISK_SECTORS=$(cat "/sys/class/block/${DISK##*/}/size")
  CUR1_START=$(sys_part 1 start) CUR1_SIZE=$(sys_part 1 size) CUR2_START=$(sys_part 2 start) CUR2_SIZE=$(sys_part 2 size)
  CUR3_START=$(sys_part 3 start) CUR3_SIZE=$(sys_part 3 size)
  T2_SIZE=$(target_part 2 3) T3_START=$(target_part 3 2) T3_SIZE=$(target_part 3 3)
  T5_START=$(target_part 5 2) T5_SIZE=$(target_part 5 3) T6_START=$(target_part 6 2)
  for v in "$CUR1_START" "$CUR2_SIZE" "$CUR3_SIZE" "$T2_SIZE" "$T3_START" "$T3_SIZE" "$T5_START" "$T5_SIZE" "$T6_START"; do
    case $v in '' | *[!0-9]*) fail "cannot read the current or the 2.x geometry (got '$v'; $LAYOUT_FILE: $(tr '\n' ';' < "$LAYOUT_FILE"))" ;; esac
  done
  EXT_START=$((T5_START - 2048)) EXT_SIZE=$((DISK_SECTORS - T5_START + 2048)) T6_SIZE=$((DISK_SECTORS - T6_START))
  [ "$(target_part 1 2) $(target_part 1 3)" = "$CUR1_START $CUR1_SIZE" ] || fail "the 2.x resin-boot ($(target_part 1 2)+$(target_part 1 3)) is not this card's ($CUR1_START+$CUR1_SIZE)"
  [ "$(target_part 2 2)" = "$CUR2_START" ] && [ "$T2_SIZE" -ge "$CUR2_SIZE" ] || fail "the 2.x resin-rootA does not grow the running root in place"
  [ $((CUR3_START + CUR3_SIZE)) -le "$EXT_START" ] && [ $((T3_START + T3_SIZE)) -le "$EXT_START" ] && [ "$T3_START" -ge $((CUR2_START + T2_SIZE)) ] ||
    fail "the 2.x partitions would overlap (spare root $CUR3_START+$CUR3_SIZE, resin-rootB $T3_START+$T3_SIZE, extended from $EXT_START)"
  [ "$T6_SIZE" -gt 0 ] || fail "the card ($DISK_SECTORS sectors) ends before the 2.x resin-data starts (sector $T6_START)"
  log "2.x geometry (sectors): resin-rootA $CUR2_START+$T2_SIZE, resin-rootB $T3_START+$T3_SIZE, resin-state $T5_START+$T5_SIZE, resin-data $T6_START+$T6_SIZE; now: p2 $CUR2_START+$CUR2_SIZE, p3 $CUR3_START+$CUR3_SIZE"
}
# Writes the whole table with sfdisk (p2's size and p3 as given, the rest 2.x) and checks that the
# kernel uses it: a filesystem made on a partition the kernel still places elsewhere would land there.
write_table() { # P2_SIZE P3_START P3_SIZE WHAT
  what=$4
  {
    echo 'label: dos'
    [ -n "$LABEL_ID" ] && echo "label-id: $LABEL_ID"
    printf 'unit: sectors\n\n'
    echo "${PREFIX}1 : start=$CUR1_START, size=$CUR1_SIZE, type=c, bootable"
    echo "${PREFIX}2 : start=$CUR2_START, size=$1, type=83"
    echo "${PREFIX}3 : start=$2, size=$3, type=83"
    echo "${PREFIX}4 : start=$EXT_START, size=$EXT_SIZE, type=5"
    echo "${PREFIX}5 : start=$T5_START, size=$T5_SIZE, type=83"
    echo "${PREFIX}6 : start=$T6_START, size=$T6_SIZE, type=83"
  } > /tmp/resinhup-table
  # Note: --no-reread: the whole-table re-read fails while resin-boot and the running root are mounted;
  # partx then updates the kernel's partitions one by one (moved ones re-added, the running root resized).
  "$SFDISK" --force --no-reread --quiet "$DISK" < /tmp/resinhup-table > /tmp/resinhup-sfdisk.out 2>&1 ||
    fail "sfdisk could not write the partition table ($what): $(tail -n 3 /tmp/resinhup-sfdisk.out | tr '\n' ' ')"
  sync
  # The partitions not in use go first (a moved one would overlap its neighbour's old place), then
  # partx adds them back from the new table and resizes the running root in place.
  for n in 3 4 5 6; do
    [ -e "/sys/class/block/${PREFIX##*/}$n" ] && ! grep -q "^$PREFIX$n " /proc/mounts && "$PARTX" -d --nr "$n" "$DISK" >> /tmp/resinhup-sfdisk.out 2>&1
  done
  "$PARTX" -u "$DISK" >> /tmp/resinhup-sfdisk.out 2>&1 || log "partx -u $DISK: $(tail -n 2 /tmp/resinhup-sfdisk.out | tr '\n' ' ')"
  for want in "2 $CUR2_START $1" "3 $2 $3" "5 $T5_START $T5_SIZE" "6 $T6_START $T6_SIZE"; do
    set -- $want
    [ "$(sys_part "$1" start) $(sys_part "$1" size)" = "$2 $3" ] ||
      fail "the kernel places ${PREFIX}$1 at $(sys_part "$1" start)+$(sys_part "$1" size), not $2+$3, after sfdisk and partx ($(tail -n 4 /tmp/resinhup-sfdisk.out | tr '\n' ' ')); reboot and run this script again (it resumes)"
  done
  log "partition table written and in use: $what"
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

log "upgrade-1.x-to-2.x.sh: to $HOSTOS_VERSION, log $LOG_DIR/$LOG_NAME (in $TMP_LOG_DIR until resin-data is rewritten)"

# --- checks: nothing is modified before they pass ---------------------------------------------------
phase checks
CURRENT_VERSION=$(os_release VERSION)
MACHINE=$(os_release MACHINE)
LAYOUT=$(os_release RESIN_LAYOUT)
log "running $CURRENT_VERSION on $MACHINE (layout ${LAYOUT:-unknown})"
case $CURRENT_VERSION in 1.*) ;; *) fail "this device runs resinOS $CURRENT_VERSION, not 1.x: use upgrade-2.x.sh" ;; esac
case $HOSTOS_VERSION in 2.*) ;; *) fail "target $HOSTOS_VERSION is not a 2.x release: this script migrates 1.x to 2.x (use upgrade-1.x.sh for 1.x -> 1.x)" ;; esac
[ "$(version_cmp "$HOSTOS_VERSION" "$CURRENT_VERSION")" = 1 ] || [ "$REQUIRE_UPGRADE" = 0 ] || fail "target $HOSTOS_VERSION is not newer than $CURRENT_VERSION"
if [ -f "$MIGRATION" ]; then
  RESUME=$(sed -n 's/^stage=//p' "$MIGRATION")
  WAS_TARGET=$(sed -n 's/^target=//p' "$MIGRATION")
  case $RESUME in data | roots) ;; *) fail "$MIGRATION names an unknown stage '$RESUME'" ;; esac
  [ "$WAS_TARGET" = "$HOSTOS_VERSION" ] ||
    fail "a migration to $WAS_TARGET was interrupted at stage $RESUME ($MIGRATION): run this script with --hostos-version $WAS_TARGET to finish it"
  log "resuming the migration to $WAS_TARGET interrupted at stage $RESUME: resin-data is $([ "$RESUME" = data ] && echo 'in the backup on the spare root' || echo 'restored already')"
  # Whatever fails from here leaves the device mid-migration, as it found it.
  POINT_OF_NO_RETURN=1
else
  for label in resin-boot resin-root resin-updt resin-conf resin-data; do
    findfs "LABEL=$label" > /dev/null 2>&1 || fail "no partition labelled $label: not the 1.x layout (has this device been migrated already?)"
  done
  DATA_DEV=$(findfs LABEL=resin-data)
  [ "$(blkid -o value -s TYPE "$DATA_DEV")" = btrfs ] || fail "resin-data ($DATA_DEV) is $(blkid -o value -s TYPE "$DATA_DEV"), not btrfs as on 1.x"
  mountpoint -q /mnt/data || fail "resin-data is not mounted on /mnt/data"
  mountpoint -q /mnt/conf || fail "resin-conf is not mounted on /mnt/conf"
fi

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
IMAGE=$REGISTRY_HOST/resin/resinos:$TAG
TOOLS_IMAGE=${TOOLS_IMAGE_ARG:-resin/resinhup-tools:$TAG}
timeout 15 wget -q -O /dev/null "$REGISTRY/v2/" || fail "registry $REGISTRY unreachable (GET $REGISTRY/v2/ failed)"
for ref in "resin/resinos:$TAG" "$TOOLS_IMAGE"; do
  timeout 30 wget -q -O /dev/null --header "Accept: application/vnd.docker.distribution.manifest.v2+json" \
    "$REGISTRY/v2/${ref%:*}/manifests/${ref##*:}" ||
    fail "image $ref not found in registry $REGISTRY (version $HOSTOS_VERSION, device type $SLUG)"
done

ROOT_DEV=
for word in $(cat /proc/cmdline); do case $word in root=/dev/*) ROOT_DEV=${word#root=} ;; esac; done
[ -n "$ROOT_DEV" ] || fail "no root= on the kernel command line"
ROOT_PART=${ROOT_DEV##*[!0-9]}
PREFIX=${ROOT_DEV%"$ROOT_PART"}
case $ROOT_PART in 2 | 3) ;; *) fail "cannot tell the active root partition from root=$ROOT_DEV" ;; esac
for n in 1 2 3 5 6; do [ -b "$PREFIX$n" ] || fail "partition $PREFIX$n is missing: not the 1.x layout"; done
SPARE_DEV=${PREFIX}3
check_spare_holds_stage "$SPARE_DEV" resin-updt
[ "$(part_bytes "${PREFIX}2")" = "$(part_bytes "$SPARE_DEV")" ] || fail "resin-root and resin-updt differ in size; not the layout this migration knows"
if [ -f /mnt/boot/uEnv.txt ]; then BOOT_STYLE=uenv
elif [ -f /mnt/boot/cmdline.txt ]; then BOOT_STYLE=cmdline
else fail "resin-boot has neither uEnv.txt nor cmdline.txt: cannot tell how this board picks its root"
fi
SETTINGS_PART=$(boot_settings_root)
[ "$SETTINGS_PART" = "$ROOT_PART" ] || log "warning: running from partition $ROOT_PART but the boot settings ($BOOT_STYLE) name '${SETTINGS_PART:-nothing}'"
log "active root $ROOT_DEV (partition $ROOT_PART); boot settings in $([ $BOOT_STYLE = uenv ] && echo uEnv.txt || echo cmdline.txt); image $IMAGE; tools $TOOLS_IMAGE"
log "checks passed"

# --- pre-step: a 1.x device running from resin-updt moves to resin-root first ----------------------
[ -z "$RESUME" ] || [ "$ROOT_PART" = 2 ] || fail "an interrupted migration runs from resin-root (partition 2), not partition $ROOT_PART"
if [ "$ROOT_PART" = 3 ]; then
  ROOT2=${PREFIX}2
  phase stop-app
  SERVICES_STOPPED=1
  docker stop "$SUPERVISOR" > /dev/null 2>&1
  for c in $(docker ps -q); do docker stop "$c" > /dev/null || fail "cannot stop container $c"; done
  log "supervisor and app stopped (they start again after the reboot)"

  phase copy-root
  # The running root is mounted read-only (the initramfs mounts it so); make sure, so the copy is consistent.
  mount -o remount,ro / 2> /dev/null
  awk '$2 == "/" { print $4 }' /proc/mounts | tr ',' '\n' | grep -qx ro || fail "cannot make the running root $ROOT_DEV read-only"
  grep -q "^$ROOT2 " /proc/mounts && fail "$ROOT2 is mounted"
  TOUCHED="$TOUCHED resin-root ($ROOT2) overwritten with a copy of resin-updt"
  # e2image copies the used blocks only (the filesystem's data and metadata), not all 180 MiB.
  e2image -ra -p "$ROOT_DEV" "$ROOT2" 2>&1 | tr '\r' '\n' | tail -n 1 || fail "copying $ROOT_DEV to $ROOT2 failed"
  sync
  e2fsck -fn "$ROOT2" > /dev/null 2>&1 || fail "the copy on $ROOT2 does not pass e2fsck"
  mkdir -p "$VERIFY_MNT" "$SOURCE_MNT"
  mount -o ro -t ext4 "$ROOT2" "$VERIFY_MNT" || fail "cannot mount the copy $ROOT2"
  # The running root's filesystem, mounted a second time: '/' hides what lies under its mount points,
  # which the copy, mounted whole, shows.
  mount -o ro -t ext4 "$ROOT_DEV" "$SOURCE_MNT" || fail "cannot mount the running root $ROOT_DEV a second time, read-only"
  tree_sums() { (cd "$1" && find . -xdev -type f | sort | xargs -r sha256sum); }
  tree_sums "$SOURCE_MNT" > /tmp/resinhup-p3.sums
  tree_sums "$VERIFY_MNT" > /tmp/resinhup-p2.sums
  umount "$VERIFY_MNT"; umount "$SOURCE_MNT"
  # What differs, by path (a line in one list only: a file on one side, or other bytes); diff's
  # output format is busybox's or GNU's, so it is not parsed.
  cmp -s /tmp/resinhup-p3.sums /tmp/resinhup-p2.sums ||
    fail "the copy on $ROOT2 differs from the running root in $(sort /tmp/resinhup-p3.sums /tmp/resinhup-p2.sums | uniq -u | sed 's/^[0-9a-f]*  //' | sort -u | wc -l) files, e.g. $(sort /tmp/resinhup-p3.sums /tmp/resinhup-p2.sums | uniq -u | sed 's/^[0-9a-f]*  //' | sort -u | head -n 6 | tr '\n' ' ')(root $(wc -l < /tmp/resinhup-p3.sums) files, copy $(wc -l < /tmp/resinhup-p2.sums))"
  log "copied and verified: $(wc -l < /tmp/resinhup-p3.sums) files identical on $ROOT_DEV and $ROOT2"
  e2label "$ROOT2" resin-root || fail "cannot label $ROOT2 resin-root"

  phase switch-boot
  TOUCHED="$TOUCHED, boot settings"
  write_boot_settings_root 2 || fail "cannot switch the boot settings to partition 2"
  [ "$(boot_settings_root)" = 2 ] || fail "the boot settings do not name partition 2 after writing them"
  log "boot switched to partition 2 (resin-root)"
  echo "[hup] rerun: the pre-step moved the OS to resin-root (partition 2); run upgrade-1.x-to-2.x.sh again after the reboot"
  SERVICES_STOPPED=0
  schedule_reboot
  exit 0
fi

# --- stop the supervisor and the app; remove every container and image ---------------------------
phase stop-services
SERVICES_STOPPED=1
stop_supervisor_starter
docker stop "$SUPERVISOR" > /dev/null 2>&1 && log "supervisor stopped"
for c in $(docker ps -q); do docker stop "$c" > /dev/null || fail "cannot stop container $c"; log "container $c stopped"; done

phase remove-containers
for c in $(docker ps -aq); do docker rm -f "$c" > /dev/null || fail "cannot remove container $c"; done
for id in $(docker images -q | sort -u); do docker rmi -f "$id" > /dev/null || fail "cannot remove image $id"; done
log "containers and images removed (2.x pulls the supervisor and the app again on its first boot)"

# --- the tools 1.x lacks, from the tools image, unpacked into tmpfs ----------------------------------
phase tools
rm -rf "$TOOLS" && mkdir -p "$TOOLS"
case $RESUME in
  '')
    pull_image "$REGISTRY_HOST/$TOOLS_IMAGE" "the tools image $TOOLS_IMAGE"
    docker rm -f "$TOOLS_CONTAINER" > /dev/null 2>&1
    docker create --name "$TOOLS_CONTAINER" "$REGISTRY_HOST/$TOOLS_IMAGE" > /dev/null || fail "cannot create a container of $TOOLS_IMAGE"
    docker export "$TOOLS_CONTAINER" | tar -x -C "$TOOLS" || fail "cannot unpack $TOOLS_IMAGE into $TOOLS"
    docker rm -f "$TOOLS_CONTAINER" > /dev/null
    docker rmi -f "$REGISTRY_HOST/$TOOLS_IMAGE" > /dev/null
    ;;
  data)
    # The interrupted run kept a copy of the tools beside the backup: the engine has no store now.
    mkdir -p "$BACKUP_MNT"
    mountpoint -q "$BACKUP_MNT" || mount -o ro -t ext4 "$SPARE_DEV" "$BACKUP_MNT" || fail "cannot mount the spare root $SPARE_DEV holding the backup"
    tar -xzf "$BACKUP_MNT/$TOOLS_STASH" -C "$TOOLS" || fail "cannot unpack the tools kept on $SPARE_DEV ($TOOLS_STASH)"
    ;;
  roots)
    tar -xzf "$LOG_DIR/$TOOLS_STASH" -C "$TOOLS" || fail "cannot unpack the tools kept in $LOG_DIR ($TOOLS_STASH)"
    ;;
esac
ZSTD=$TOOLS/hup-tools/bin/zstd
SFDISK=$TOOLS/hup-tools/bin/sfdisk
PARTX=$TOOLS/hup-tools/bin/partx
"$ZSTD" --version > /dev/null 2>&1 || fail "zstd from $TOOLS_IMAGE does not run on this device"
"$SFDISK" --version > /dev/null 2>&1 || fail "sfdisk from $TOOLS_IMAGE does not run on this device"
"$PARTX" --version > /dev/null 2>&1 || fail "partx from $TOOLS_IMAGE does not run on this device"
[ -f "$TOOLS/resin-boot/boot.scr" ] || fail "$TOOLS_IMAGE has no resin-boot/boot.scr for $HOSTOS_VERSION"
case $PREFIX in *[0-9]p) DISK=${PREFIX%p} ;; *) DISK=$PREFIX ;; esac
[ -b "$DISK" ] || fail "cannot find the card $DISK holding $ROOT_DEV"
TABLE=$("$SFDISK" --dump "$DISK") || fail "sfdisk cannot read the partition table of $DISK"
echo "$TABLE" | grep -q "^${PREFIX}4 .*type= *5" || fail "partition 4 of $DISK is not the extended partition: $(echo "$TABLE" | grep "^${PREFIX}4")"
plan_layout
check_root_b_fits $((T3_SIZE * 512))
log "tools ready: $("$ZSTD" --version | head -n 1); $("$SFDISK" --version)"

# --- the 2.x hostOS: pulled into the 1.x engine, its root staged on the reformatted spare root ------
# (resinhup staged `docker export | gzip` beside the resin-data backup as well: the engine's store is on
# the old resin-data, which is reformatted before the new root is written.)
if [ -z "$RESUME" ]; then
phase pull
pull_image "$IMAGE" "$IMAGE"

phase stage
grep -q "^$SPARE_DEV " /proc/mounts && fail "the spare root $SPARE_DEV is mounted"
TOUCHED="$TOUCHED spare root $SPARE_DEV (resin-updt) reformatted"
mkfs.ext4 -q -F -L resin-updt -m 0 -T largefile -O ^orphan_file -E nodiscard "$SPARE_DEV" || fail "mkfs.ext4 of the spare root $SPARE_DEV failed"
mkdir -p "$BACKUP_MNT"
mount -t ext4 "$SPARE_DEV" "$BACKUP_MNT" || fail "cannot mount the spare root $SPARE_DEV"
# The tools go beside the backup first: a run interrupted after the table rewrite resumes with them.
(cd "$TOOLS" && tar -cz .) > "$BACKUP_MNT/$TOOLS_STASH" || fail "cannot keep a copy of the tools on $SPARE_DEV"
docker rm -f "$HOSTOS_CONTAINER" > /dev/null 2>&1
docker create --name "$HOSTOS_CONTAINER" "$IMAGE" > /dev/null || fail "cannot create a container of $IMAGE"
docker export "$HOSTOS_CONTAINER" | "$ZSTD" -q -c > "$BACKUP_MNT/$OS_STASH" 2> /tmp/resinhup-stage.err || {
  grep -qi 'no space' /tmp/resinhup-stage.err &&
    fail "spare root too small: $SPARE_DEV (resin-updt) filled up while staging $HOSTOS_VERSION ($(head -n 1 /tmp/resinhup-stage.err)); refusing before resin-data or the table are touched"
  fail "staging $IMAGE on $SPARE_DEV failed: $(head -n 3 /tmp/resinhup-stage.err | tr '\n' ' ')"
}
docker rm -f "$HOSTOS_CONTAINER" > /dev/null
# The engine's store is not kept (2.x starts with an empty one): the image has done its part.
docker rmi -f "$IMAGE" > /dev/null || log "warning: cannot remove $IMAGE from the engine's store"
sync
"$ZSTD" -q -t "$BACKUP_MNT/$OS_STASH" || fail "the staged OS on $SPARE_DEV does not read back (zstd -t)"
STAGED_BYTES=$(stat -c %s "$BACKUP_MNT/$OS_STASH")
log "staged $HOSTOS_VERSION's root on $SPARE_DEV: $(mb "$STAGED_BYTES") MB compressed"

# --- back up resin-data, compressed, onto the spare root beside the staged OS -----------------------
phase backup
cd /mnt/data || fail "cannot enter /mnt/data"
ENTRIES=
for e in $(ls -A); do
  # The engine's stores (moby's docker and containerd, the lean engine's docker): 2.x starts with
  # empty ones, in the storage driver of its ext4 resin-data, and pulls its images again.
  case $e in docker | containerd) continue ;; esac
  ENTRIES="$ENTRIES $e"
done
[ "$(ls -A | wc -l)" = "$(ls -A | wc -w)" ] || fail "resin-data has top-level names with spaces; this updater cannot back them up"
set -- $ENTRIES
if [ $# -gt 0 ]; then
  RAW=$(find "$@" -type f -exec stat -c %s {} + | awk '{ s += $1 } END { printf "%.0f", s }')
  FILES=$(find "$@" -type f | wc -l)
else
  RAW=0 FILES=0
fi
cd /
log "resin-data to back up: $(mb "$RAW") MB in $FILES files ($ENTRIES )"
# Room left for the manifest and the resin-conf archive.
CAP=$(df -k "$BACKUP_MNT" | awk 'NR == 2 { printf "%.0f", ($4 - 1024) * 1024 }')
log "backup space on $SPARE_DEV: $(mb "$CAP") MB (the cap), after $(mb "$STAGED_BYTES") MB of staged OS and $(mb "$(stat -c %s "$BACKUP_MNT/$TOOLS_STASH")") MB of tools kept beside it"
refuse() { # COMPRESSED_DESCRIPTION
  fail "resin-data holds $(mb "$RAW") MB ($FILES files) to back up, over the backup cap of $(mb "$CAP") MB (the space left on the spare root resin-updt, $SPARE_DEV, beside the staged $HOSTOS_VERSION) even compressed with zstd: $1. Move data off the device until what remains compresses to under $(mb "$CAP") MB, then run the update again"
}
# tar's headers and padding, zstd's block headers: what incompressible data grows by.
WORST=$(awk -v r="$RAW" -v f="$FILES" 'BEGIN { printf "%.0f", r * 1.0001 + f * 1024 + 65536 }')
if [ "$(awk -v a="$WORST" -v b="$CAP" 'BEGIN { print (a > b) }')" = 1 ]; then
  log "resin-data may not fit uncompressed; measuring its compressed size (stops at the cap)"
  COMPRESSED=$( (cd /mnt/data && tar -c $ENTRIES 2> /dev/null | "$ZSTD" -q -c 2> /dev/null | head -c $((CAP + 1))) | wc -c)
  if [ "$COMPRESSED" -gt "$CAP" ]; then refuse "more than $(mb "$CAP") MB compressed"; fi
  log "compressed it is $(mb "$COMPRESSED") MB: it fits"
fi
(cd /mnt/data && tar -c $ENTRIES | "$ZSTD" -q -c > "$BACKUP_MNT/$BACKUP_FILE") 2> /tmp/resinhup-backup.err || {
  grep -qi 'no space' /tmp/resinhup-backup.err && refuse "the backup filled the spare root ($(cat /tmp/resinhup-backup.err | head -n 1))"
  fail "the backup of resin-data failed: $(head -n 3 /tmp/resinhup-backup.err | tr '\n' ' ')"
}
echo "files=$FILES bytes=$RAW" > "$BACKUP_MNT/manifest" || refuse "no room left for the manifest"
echo "$ENTRIES" > "$BACKUP_MNT/entries" || refuse "no room left for the list of entries"
tar -c -C /mnt/conf . > "$BACKUP_MNT/resin-conf.tar" || fail "cannot back up resin-conf"
sync
"$ZSTD" -q -t "$BACKUP_MNT/$BACKUP_FILE" || fail "the backup on $SPARE_DEV does not read back (zstd -t)"
BACKUP_BYTES=$(stat -c %s "$BACKUP_MNT/$BACKUP_FILE")
log "backup verified: $(mb "$BACKUP_BYTES") MB compressed from $(mb "$RAW") MB, on $SPARE_DEV"
fi

# --- the 2.x table, stage 1: resin-state and resin-data move to their 2.x places --------------------
# From here a cut leaves resume points (MIGRATION, on resin-boot): `data` while resin-data exists only
# in the backup on the spare root, `roots` once it is restored. A rerun of this script resumes there.
if [ "$RESUME" != roots ]; then
phase layout
# Everything that uses resin-data or resin-conf goes first; a busy mount ends the update here, with
# nothing but the spare root modified.
stop_engine
inner=$(awk '$2 ~ "^/mnt/data/" { print $2 }' /proc/mounts)
[ -z "$inner" ] || fail "mounts remain under /mnt/data: $inner"
for m in /mnt/data /mnt/state /mnt/conf; do
  while mountpoint -q "$m"; do umount "$m" || fail "cannot unmount $m (still in use)"; done
done
POINT_OF_NO_RETURN=1
mark_stage data
# resin-state is written at its 2.x place before the table names it (that place is old resin-data,
# backed up): whichever table a cut leaves, the device finds resin-conf or resin-state, and its SSH
# host key with it.
rm -rf "$STATE_TREE" && mkdir -p "$STATE_TREE"
tar -x -C "$STATE_TREE" < "$BACKUP_MNT/resin-conf.tar" || fail "cannot unpack resin-conf's files from the backup"
rm -f "$STATE_IMG"
mkfs.ext4 -q -F -L resin-state -O ^orphan_file -E nodiscard -d "$STATE_TREE" "$STATE_IMG" "$((T5_SIZE / 2))k" > /dev/null ||
  fail "cannot make the resin-state filesystem image"
TOUCHED="$TOUCHED, resin-state written over old resin-data"
if [ $((T5_START % 2048)) = 0 ]; then set -- bs=1M seek=$((T5_START / 2048)); else set -- bs=512 seek="$T5_START"; fi
dd if="$STATE_IMG" of="$DISK" "$@" conv=notrunc,fsync 2> /dev/null || fail "cannot write resin-state at sector $T5_START of $DISK"
rm -f "$STATE_IMG"
TOUCHED="$TOUCHED, partition table (resin-state, resin-data)"
write_table "$CUR2_SIZE" "$CUR3_START" "$CUR3_SIZE" "stage 1: resin-state and resin-data at their 2.x places"

phase format
[ "$(blkid -o value -s LABEL "${PREFIX}5")" = resin-state ] || fail "${PREFIX}5 does not hold the resin-state written there"
TOUCHED="$TOUCHED, resin-data made ext4"
mkfs.ext4 -q -F -L resin-data -O ^orphan_file -E nodiscard "${PREFIX}6" || fail "mkfs.ext4 of ${PREFIX}6 (resin-data) failed"
mount -t ext4 "${PREFIX}5" "$STATE" || fail "cannot mount the new resin-state"
mount -t ext4 "${PREFIX}6" /mnt/data || fail "cannot mount the new resin-data"
log "resin-state (ext4, resin-conf's files) and resin-data (ext4, empty) at their 2.x places"

# --- restore resin-data from the spare root, before the spare becomes the new root -------------------
phase restore
ENTRIES=$(cat "$BACKUP_MNT/entries") || fail "the backup on $SPARE_DEV has no list of entries"
(cd /mnt/data && "$ZSTD" -q -d -c "$BACKUP_MNT/$BACKUP_FILE" | tar -x) || fail "restoring resin-data from $SPARE_DEV failed"
sync
set -- $ENTRIES
if [ $# -gt 0 ]; then
  GOT_FILES=$(cd /mnt/data && find "$@" -type f | wc -l)
  GOT_RAW=$(cd /mnt/data && find "$@" -type f -exec stat -c %s {} + | awk '{ s += $1 } END { printf "%.0f", s }')
else
  GOT_FILES=0 GOT_RAW=0
fi
[ "files=$GOT_FILES bytes=$GOT_RAW" = "$(cat "$BACKUP_MNT/manifest")" ] ||
  fail "restored resin-data has files=$GOT_FILES bytes=$GOT_RAW, the backup had $(cat "$BACKUP_MNT/manifest")"
mkdir -p "$LOG_DIR"
# The tools and the staged OS move to resin-data: the repartition moves the spare root.
for f in "$TOOLS_STASH" "$OS_STASH"; do
  cp "$BACKUP_MNT/$f" "$LOG_DIR/$f.new" && sync && mv "$LOG_DIR/$f.new" "$LOG_DIR/$f" && sync ||
    fail "cannot keep $f in $LOG_DIR"
done
"$ZSTD" -q -t "$LOG_DIR/$OS_STASH" || fail "the staged OS copied to $LOG_DIR does not read back (zstd -t)"
umount "$BACKUP_MNT" || fail "cannot unmount the backup"
log "resin-data restored: $GOT_FILES files, $(mb "$GOT_RAW") MB"
mark_stage roots
fi

# --- the 2.x table, stage 2: resin-rootA grows in place, resin-rootB after it ------------------------
phase repartition
TOUCHED="$TOUCHED, partition table (roots)"
write_table "$T2_SIZE" "$T3_START" "$T3_SIZE" "stage 2: resin-rootA grown in place, resin-rootB moved after it"
e2label "${PREFIX}2" resin-rootA || fail "cannot relabel ${PREFIX}2 resin-rootA"
mkfs.ext4 -q -F -L resin-rootB -O ^orphan_file -E nodiscard "$SPARE_DEV" || fail "mkfs.ext4 of $SPARE_DEV (resin-rootB) failed"
log "layout is 2.x: resin-rootA (the running 1.x root; its filesystem keeps its 1.x size), resin-rootB, resin-state, resin-data"

# --- the new root on the spare (resin-rootB), from the staged OS ---------------------------------------
# The engine stays stopped: the first 2.x boot starts it with an empty store (overlay2 on the new
# resin-data) and pulls the supervisor and the app into it.
phase populate
mkfs.ext4 -q -F -L resin-rootB -O ^orphan_file -E nodiscard "$SPARE_DEV" || fail "mkfs.ext4 of $SPARE_DEV failed"
mkdir -p "$NEWROOT"
mount -t ext4 "$SPARE_DEV" "$NEWROOT" || fail "cannot mount $SPARE_DEV"
"$ZSTD" -q -d -c "$LOG_DIR/$OS_STASH" | tar -x -C "$NEWROOT" || fail "unpacking the staged OS ($LOG_DIR/$OS_STASH) onto $SPARE_DEV failed"
undo_init_layer "$NEWROOT"
NEW_VERSION=$(sed -n 's/^VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$NEWROOT/etc/os-release" 2>/dev/null)
for f in /boot/vmlinuz /boot/initrd.img /sbin/init /etc/os-release; do
  [ -e "$NEWROOT$f" ] || fail "the exported image lacks $f"
done
[ "$NEW_VERSION" = "$HOSTOS_VERSION" ] || fail "the exported image is version '$NEW_VERSION', not $HOSTOS_VERSION"
sync
log "new root on $SPARE_DEV (resin-rootB): $(du -sk "$NEWROOT" | cut -f1) KiB, VERSION=$NEW_VERSION"
umount "$NEWROOT" || fail "cannot unmount $NEWROOT"

# --- the 2.x boot files, except the one that switches the boot flow ------------------------------------
phase boot-files
TOUCHED="$TOUCHED, resin-boot files"
(cd "$TOOLS/resin-boot" && find . -type f) | while read -r f; do
  case ${f#./} in boot.scr | config.txt) continue ;; esac
  mkdir -p "/mnt/boot/$(dirname "$f")"
  cp "$TOOLS/resin-boot/$f" "/mnt/boot/$f.new" && mv "/mnt/boot/$f.new" "/mnt/boot/$f" || exit 1
  log "boot file ${f#./}"
done || fail "cannot write the 2.x boot files"
printf 'resin_root_part=3\nupgrade_available=0\n' | write_atomic /mnt/boot/resinOS_uEnv.txt || fail "cannot write resinOS_uEnv.txt"
rm -f /mnt/boot/bootcount.env
sync

# --- WiFi: config.json's connman settings become NetworkManager keyfiles --------------------------------
phase wifi
CONNECTIONS=/mnt/boot/system-connections
NETWORK_CONFIG=$(jq -r '.files["network/network.config"] // empty' "$CONFIG")
if [ -z "$NETWORK_CONFIG" ]; then
  log "no network/network.config in $CONFIG: no WiFi settings to migrate"
else
  mkdir -p "$CONNECTIONS"
  TOUCHED="$TOUCHED, system-connections"
  rm -rf /tmp/resinhup-wifi && mkdir -p /tmp/resinhup-wifi
  # One file per wifi section: NAME\nkey=value lines (keys lower-cased, spaces around = dropped).
  echo "$NETWORK_CONFIG" | awk -v out=/tmp/resinhup-wifi '
    /^[[:space:]]*\[.*\][[:space:]]*$/ { gsub(/^[[:space:]]*\[|\][[:space:]]*$/, ""); section = $0; next }
    /^[[:space:]]*[#;]/ || !/=/ || section == "" { next }
    { k = $0; sub(/[[:space:]]*=.*/, "", k); gsub(/^[[:space:]]+/, "", k); v = $0; sub(/^[^=]*=[[:space:]]*/, "", v); sub(/[[:space:]]+$/, "", v)
      print tolower(k) "=" v > (out "/" section) }'
  for f in /tmp/resinhup-wifi/*; do
    [ -f "$f" ] || continue
    section=${f##*/}
    get() { sed -n "s/^$1=//p" "$f" | tail -n 1; }
    [ "$(get type)" = wifi ] || continue
    case $section in
      service_home_wifi) name=resin-wifi ;;
      service_*) name=resin-$(echo "${section#service_}" | tr '_' '-') ;;
      *) name=resin-$(echo "$section" | tr '_' '-') ;;
    esac
    ssid=$(get name)
    [ -n "$ssid" ] || fail "WiFi section [$section] of network/network.config has no Name (the SSID)"
    {
      printf '[connection]\nid=%s\ntype=wifi\n\n[wifi]\n' "$name"
      [ "$(get hidden | tr A-Z a-z)" = true ] && printf 'hidden=true\n'
      printf 'mode=infrastructure\nssid=%s\n' "$ssid"
      if [ -n "$(get passphrase)" ]; then printf '\n[wifi-security]\nauth-alg=open\nkey-mgmt=wpa-psk\npsk=%s\n' "$(get passphrase)"; fi
      printf '\n[ipv4]\nmethod=auto\n'
      dns=$(get nameservers | tr -d ' ' | tr ',' ';')
      [ -n "$dns" ] && printf 'dns=%s;\n' "$dns"
      printf '\n[ipv6]\naddr-gen-mode=stable-privacy\nmethod=auto\n'
    } | write_atomic "$CONNECTIONS/$name" || fail "cannot write $CONNECTIONS/$name"
    log "WiFi [$section] -> system-connections/$name (ssid $ssid)"
  done
fi

# --- the supervisor: the target's version, pulled on the first 2.x boot -----------------------------------
phase supervisor
CURRENT_SUPERVISOR_IMAGE=$(config_value supervisorImage)
if [ -z "$SUPERVISOR_VERSION" ]; then
  log "no --supervisor-version: supervisorImage in $CONFIG unchanged (${CURRENT_SUPERVISOR_IMAGE:-unset})"
elif [ -z "$CURRENT_SUPERVISOR_IMAGE" ]; then
  log "no supervisorImage in $CONFIG: supervisor not managed here"
elif CURRENT_SUPERVISOR=${CURRENT_SUPERVISOR_IMAGE##*:v} && [ "$CURRENT_SUPERVISOR" != "$CURRENT_SUPERVISOR_IMAGE" ] &&
  [ "$(version_cmp "$SUPERVISOR_VERSION" "$CURRENT_SUPERVISOR")" != 1 ]; then
  # Real updaters mark a supervisor update only for a newer one (resinhup/balenahup: version_gt).
  log "supervisor: $SUPERVISOR_VERSION is not newer than the running $CURRENT_SUPERVISOR: no supervisor update (supervisorImage in $CONFIG unchanged; the first 2.x boot pulls $CURRENT_SUPERVISOR_IMAGE again)"
else
  NEW_SUPERVISOR_IMAGE=${CURRENT_SUPERVISOR_IMAGE%:*}:v$SUPERVISOR_VERSION
  TOUCHED="$TOUCHED, supervisorImage in $CONFIG"
  jq --arg i "$NEW_SUPERVISOR_IMAGE" '.supervisorImage = $i' "$CONFIG" | write_atomic "$CONFIG" || fail "cannot update supervisorImage in $CONFIG"
  log "supervisor ${CURRENT_SUPERVISOR_IMAGE##*:} -> v$SUPERVISOR_VERSION ($NEW_SUPERVISOR_IMAGE; pulled on the first 2.x boot)"
fi

# --- switch the boot flow: the file the board reads first, written last ---------------------------------
phase switch-boot
# BeagleBone: U-Boot runs boot.scr (the 1.x one read uEnv.txt). Raspberry Pi: the firmware reads
# config.txt (1.x: Linux from resin-boot; 2.x: U-Boot, which runs boot.scr). So boot.scr, then config.txt.
for f in boot.scr config.txt; do
  [ -f "$TOOLS/resin-boot/$f" ] || continue
  cp "$TOOLS/resin-boot/$f" "/mnt/boot/$f.new" && sync && mv "/mnt/boot/$f.new" "/mnt/boot/$f" && sync || fail "cannot write /mnt/boot/$f"
  log "boot file $f"
done
# What only the 1.x boot flow read.
rm -f /mnt/boot/uEnv.txt /mnt/boot/cmdline.txt /mnt/boot/kernel8.img /mnt/boot/initrd.img
sync
rm -f "$MIGRATION" "$LOG_DIR/$TOOLS_STASH" "$LOG_DIR/$OS_STASH"
sync
log "boot switched to the 2.x flow: resin_root_part=3 (resin-rootB)"
log "migration to $HOSTOS_VERSION done"
SERVICES_STOPPED=0
schedule_reboot
exit 0
