#!/bin/sh
# A second 2.x -> 2.x host OS updater, written for hupbench's `resinhup-style` updater profile
# (harness/updater/profiles/resinhup-style.ts): it speaks the way balena's resinhup shell updaters do,
# not the way hupbench's reference updater does, so the harness must know it through its profile.
#
#   resinhup-2.x.sh --hostos-version V [--resinos-registry URL] [--supervisor-version V]
#                   [--no-reboot] [--force-slug SLUG] [-n|--nolog] [--pull-tries N] [--pull-backoff S]
#
# Output: `[<seconds since start, 9 digits>][LOG|WARNING|ERROR]<message>`, no phase markers; each step
# opens with a line of its own words (the profile's phase patterns). An ERROR line ends the run: exit 1.
# Pulls are retried as balenahup retries them: up to --pull-tries tries ($HUP_PULL_TRIES, default 3), a
# `Couldn't pull …, was try #N of M; retrying in Ss` warning after each failed one, n x --pull-backoff s
# ($HUP_PULL_BACKOFF, default 5) before the next.
# Exit: 0 updated (reboot in 2 s unless --no-reboot), 1 failed, 9 another update holds the lock.
# Log: /mnt/data/balenahup/resinhup-2.x.sh.<date>_<time>.log (not announced on the output).
# Steps, as the reference updater's: checks (nothing modified) -> stop the supervisor (the app keeps
# running) -> download the hostOS image -> new filesystem on the inactive root -> unpack the image onto
# it -> boot-partition files -> supervisor update -> rollback breadcrumbs -> switch the bootloader ->
# reboot. The active root and the boot settings change only at the switch.
set -u
set -o pipefail 2>/dev/null || true

SCRIPTNAME=resinhup-2.x.sh
LOCKFILE=/var/lock/resinhup.lock
LOGDIR=/mnt/data/balenahup
CONFIGJSON=/mnt/boot/config.json
UENV=/mnt/boot/resinOS_uEnv.txt
STATEDIR=/mnt/state
SUPERVISOR=resin_supervisor
SCRATCH=balenahup-hostos
INACTIVE_MNT=/tmp/balenahup-inactive
STARTTIME=$(date +%s)

log() {
  level=LOG
  case $1 in ERROR | WARN) level=$1; shift ;; esac
  [ "$level" = WARN ] && level=WARNING
  printf '[%09d][%s]%s\n' "$(($(date +%s) - STARTTIME))" "$level" "$*"
  if [ "$level" = ERROR ]; then exit 1; fi
}

help() {
  cat << EOF
Updates the host OS of a 2.x device to another 2.x release.
  --hostos-version V      the release to install (required), e.g. 2.12.3+rev1
  --resinos-registry URL  where its hostOS image is (default: config.json's registry)
  --supervisor-version V  the supervisor that goes with it (updated when newer)
  --no-reboot             do not reboot when done
  --force-slug SLUG       the device type, instead of config.json's
  --pull-tries N          tries per image pull (default 3)
  --pull-backoff S        the n-th failed pull waits n x S seconds (default 5)
  -n, --nolog             no log file
EOF
}

target_version= registry= supervisor_version= NOREBOOT=no SLUG_OVERRIDE= LOGTOFILE=yes
pull_tries=${HUP_PULL_TRIES:-3} pull_backoff=${HUP_PULL_BACKOFF:-5}
while [ $# -gt 0 ]; do
  case $1 in
    -h | --help) help; exit 0 ;;
    --hostos-version | --resinos-registry | --balenaos-registry | --supervisor-version | --force-slug | --pull-tries | --pull-backoff)
      [ $# -ge 2 ] && [ -n "$2" ] || log ERROR "\"$1\" needs a value."
      case $1 in
        --hostos-version) target_version=${2#v} ;;
        --pull-tries) pull_tries=$2 ;;
        --pull-backoff) pull_backoff=$2 ;;
        --supervisor-version) supervisor_version=${2#v} ;;
        --force-slug) SLUG_OVERRIDE=$2 ;;
        *) registry=$2 ;;
      esac
      shift 2 ;;
    --no-reboot) NOREBOOT=yes; shift ;;
    -n | --nolog) LOGTOFILE=no; shift ;;
    *) log WARN "Unrecognized option $1."; shift ;;
  esac
done
[ -n "$target_version" ] || log ERROR "--hostos-version is required."
case $pull_tries in '' | *[!0-9]* | 0) log ERROR "--pull-tries must be a whole number of at least 1, not '$pull_tries'." ;; esac
case $pull_backoff in '' | *[!0-9]*) log ERROR "--pull-backoff must be whole seconds, not '$pull_backoff'." ;; esac

# One update at a time; a held lock is exit 9.
mkdir -p "${LOCKFILE%/*}"
exec 8> "$LOCKFILE"
if ! flock -n 8; then
  log WARN "Another update is running (lock $LOCKFILE held); exiting." >&2
  exit 9
fi

if [ "$LOGTOFILE" = yes ] && mkdir -p "$LOGDIR" 2>/dev/null; then
  LOGFILE=$LOGDIR/$SCRIPTNAME.$(date +%Y%m%d_%H%M%S).log
  echo "================ $SCRIPTNAME to $target_version, $(date) ================" > "$LOGFILE"
  PIPE=/tmp/balenahup.$$.pipe
  rm -f "$PIPE" && mkfifo "$PIPE"
  tee -a "$LOGFILE" < "$PIPE" &
  TEE=$!
  exec > "$PIPE" 2>&1
  rm -f "$PIPE"
fi

supervisor_state=running changed=
on_exit() {
  rc=$?
  trap - EXIT INT TERM
  if [ "$rc" != 0 ]; then
    mountpoint -q "$INACTIVE_MNT" 2>/dev/null && umount "$INACTIVE_MNT"
    docker rm -f "$SCRATCH" > /dev/null 2>&1
    case $supervisor_state in
      stopped) docker start "$SUPERVISOR" > /dev/null 2>&1 || log WARN "Could not start $SUPERVISOR again." ;;
      removed) /etc/rc.d/S60supervisor start > /dev/null 2>&1 || log WARN "Could not create $SUPERVISOR again." ;;
    esac
    log WARN "Update failed (exit $rc). Changed on the device: ${changed:-nothing}. Boot settings untouched."
  fi
  exec 1>&- 2>&-
  [ -n "${TEE:-}" ] && wait "$TEE" 2>/dev/null
  exit "$rc"
}
trap on_exit EXIT
trap 'log ERROR "Interrupted."' INT TERM

# "2.12.3+rev1" > "2.9.7+rev1"? Succeeds when $1 is newer than $2.
# Pulls $1 in up to $pull_tries tries; what a failed try completed stays in the engine's store.
pull_with_retries() { # IMAGE
  try=1
  while ! docker pull "$1"; do
    [ "$try" -lt "$pull_tries" ] || return 1
    log WARN "Couldn't pull $1, was try #$try of $pull_tries; retrying in $((pull_backoff * try))s"
    sleep $((pull_backoff * try))
    try=$((try + 1))
  done
  [ "$try" = 1 ] || log "Pulled $1 on try #$try of $pull_tries"
}

version_gt() {
  awk -v a="$1" -v b="$2" 'function split4(v, o,   t, n, i) {
      gsub(/[+_]rev/, ".", v); gsub(/[+_-]/, ".", v); n = split(v, t, ".")
      for (i = 1; i <= 4; i++) o[i] = (i <= n && t[i] ~ /^[0-9]+$/) ? t[i] + 0 : 0 }
    BEGIN { split4(a, x); split4(b, y)
      for (i = 1; i <= 4; i++) { if (x[i] != y[i]) exit !(x[i] > y[i]) } exit 1 }'
}
config_get() { jq -r --arg k "$1" '.[$k] // empty' "$CONFIGJSON" 2>/dev/null; }
osrelease_get() { sed -n "s/^$1=\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" "${2:-/etc/os-release}" | head -n 1; }
megabytes() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1000000 }'; }
registry_get() { timeout 30 wget -q -O - --header "Accept: application/vnd.docker.distribution.manifest.v2+json" "$registry/v2/$1"; }

# The target's hostOS image under $TAG, read once: its manifest and its config (the labels).
image_manifest= image_config=
fetch_image() {
  image_manifest=$(registry_get "resin/resinos/manifests/$TAG") || return 1
  cfg=$(echo "$image_manifest" | jq -r '.config.digest // empty' 2>/dev/null)
  [ -z "$cfg" ] || image_config=$(registry_get "resin/resinos/blobs/$cfg")
  return 0
}
image_label() { echo "$image_config" | jq -r --arg k "$1" '.config.Labels[$k] // empty' 2>/dev/null; }

# The least room the target's root needs (bytes): its rootfs-bytes label, else its compressed layers.
needed_bytes() {
  n=$(image_label io.resin.os.rootfs-bytes)
  case $n in '' | *[!0-9]*) echo "$image_manifest" | jq '[.layers[].size] | add // 0' ;; *) echo "$n" ;; esac
}

step_checks() {
  log "Checking the device and the target release"
  VERSION=$(osrelease_get VERSION)
  MACHINE=$(osrelease_get MACHINE)
  case $VERSION in 1.*) log ERROR "Host OS $VERSION is 1.x: this updater only updates 2.x devices." ;; esac
  [ "$(osrelease_get RESIN_LAYOUT)" = 1.x ] && log ERROR "The device has the 1.x partition layout: not supported."
  { findfs LABEL=resin-rootA && findfs LABEL=resin-rootB; } > /dev/null 2>&1 ||
    log ERROR "No resin-rootA/resin-rootB partitions on this device."
  [ -f "$CONFIGJSON" ] || log ERROR "Don't know where config.json is."
  SLUG=${SLUG_OVERRIDE:-$(config_get deviceType)}
  [ -n "$SLUG" ] || log ERROR "No device type in config.json (pass --force-slug)."
  [ -n "$SLUG_OVERRIDE" ] || [ "$SLUG" = "$MACHINE" ] ||
    log ERROR "Unsupported device type: config.json says $SLUG, this hostOS is built for $MACHINE (override with --force-slug)."
  version_gt "$target_version" "$VERSION" ||
    log ERROR "Target OS version $target_version is not newer than the running $VERSION, not updating."
  log "Host OS version $VERSION on $SLUG, target $target_version."

  [ -n "$registry" ] || registry=$(config_get registry)
  [ -n "$registry" ] || log ERROR "No registry: pass --resinos-registry."
  case $registry in http://* | https://*) ;; *) registry=http://$registry ;; esac
  registry=${registry%/}
  TAG=$(echo "$target_version" | tr + _)-$SLUG
  timeout 15 wget -q -O /dev/null "$registry/v2/" || log ERROR "Cannot reach registry $registry."
  registry_get "resin/resinos/manifests/$TAG" > /dev/null ||
    log ERROR "No hostOS image resin/resinos:$TAG in registry $registry."
  fetch_image || log ERROR "Cannot read the manifest of resin/resinos:$TAG."
  # An image that says it is another release (labels, where it has them) is not installed.
  labelled=$(image_label io.resin.os.version) labelled_type=$(image_label io.resin.device-type)
  if { [ -n "$labelled" ] && [ "$labelled" != "$target_version" ]; } ||
    { [ -n "$labelled_type" ] && [ "$labelled_type" != "$SLUG" ]; }; then
    : "${labelled:=an unlabelled version}" "${labelled_type:=an unlabelled device type}"
    log ERROR "Image resin/resinos:$TAG is labelled hostOS $labelled for $labelled_type, not $target_version for $SLUG: mislabelled release, not updating."
  fi

  root_dev=$(sed -n 's/.*root=\(\/dev\/[^ ]*\).*/\1/p' /proc/cmdline)
  [ -n "$root_dev" ] || root_dev=$(awk '$2 == "/" && $1 ~ /^\/dev\// { print $1; exit }' /proc/mounts)
  case $root_dev in
    *2) update_part=${root_dev%2}3 update_label=resin-rootB UPDATE_NR=3 ;;
    *3) update_part=${root_dev%3}2 update_label=resin-rootA UPDATE_NR=2 ;;
    *) log ERROR "Unknown root partition $root_dev." ;;
  esac
  [ -b "$update_part" ] || log ERROR "Inactive partition $update_part is not a block device."
  grep -q "^$update_part " /proc/mounts && log ERROR "Inactive partition $update_part is mounted."
  room=$(($(cat "/sys/class/block/${update_part##*/}/size") * 512))
  need=$(needed_bytes)
  room_mb=$(megabytes "$room") need_mb=$(megabytes "$need")
  [ "$need" -le "$room" ] ||
    log ERROR "Inactive partition $update_part ($update_label) too small: $room_mb MB, hostOS $target_version needs $need_mb MB."
  log "Root $root_dev, inactive partition $update_part ($update_label, $room_mb MB, $need_mb MB needed)."
}

step_stop_supervisor() {
  log "Stopping the supervisor"
  if docker ps --format '{{.Names}}' | grep -qx "$SUPERVISOR"; then
    docker stop "$SUPERVISOR" > /dev/null || log ERROR "Could not stop $SUPERVISOR."
    supervisor_state=stopped
  fi
  log "Still running: $(docker ps --format '{{.Names}}' | tr '\n' ' ')"
}

step_pull() {
  log "Downloading hostOS image resin/resinos:$TAG"
  pull_with_retries "${registry#*://}/resin/resinos:$TAG" ||
    log ERROR "Could not download resin/resinos:$TAG after $pull_tries tries."
}

step_mkfs() {
  log "Creating filesystem on inactive partition $update_part"
  changed="$update_part reformatted"
  mkfs.ext4 -q -F -L "$update_label" -O ^orphan_file -E nodiscard "$update_part" ||
    log ERROR "mkfs.ext4 on $update_part failed."
}

step_unpack() {
  log "Unpacking hostOS root filesystem onto $update_part"
  mkdir -p "$INACTIVE_MNT"
  mount -t ext4 "$update_part" "$INACTIVE_MNT" || log ERROR "Cannot mount $update_part."
  docker rm -f "$SCRATCH" > /dev/null 2>&1
  docker create --name "$SCRATCH" "resin/resinos:$TAG" > /dev/null || log ERROR "Cannot create a container of resin/resinos:$TAG."
  docker export "$SCRATCH" | tar -x -C "$INACTIVE_MNT" || log ERROR "Unpacking resin/resinos:$TAG failed."
  docker rm -f "$SCRATCH" > /dev/null
  for f in /boot/vmlinuz /boot/initrd.img /sbin/init /etc/os-release; do
    [ -e "$INACTIVE_MNT$f" ] || log ERROR "The new root lacks $f."
  done
  got=$(osrelease_get VERSION "$INACTIVE_MNT/etc/os-release")
  got_machine=$(osrelease_get MACHINE "$INACTIVE_MNT/etc/os-release")
  # Checked again from the root itself (an unlabelled or lying image), before boot files or the bootloader.
  [ "$got" = "$target_version" ] && [ "$got_machine" = "$SLUG" ] ||
    log ERROR "The image holds hostOS '$got' for '$got_machine', not $target_version for $SLUG: mislabelled release, bootloader untouched."
  log "New root: $(du -sk "$INACTIVE_MNT" | cut -f1) KiB."
}

step_boot_files() {
  log "Copying boot partition files"
  src=$INACTIVE_MNT/resin-boot
  if [ -d "$src" ]; then
    changed="$changed, boot-partition files"
    # The device's own files stay (balenaOS's boot-files blacklist: config.json, config.txt, extra_uEnv.txt,
    # the splash; here also the boot settings and network settings); each file is copied, synced, renamed.
    for f in $(cd "$src" && find . -type f | sed 's|^\./||'); do
      case $f in config.json | resinOS_uEnv.txt | bootcount.env | config.txt | extra_uEnv.txt | system-connections/* | splash/*)
        log "Keeping the device's /mnt/boot/$f"
        continue
        ;;
      esac
      case $f in */*) mkdir -p "/mnt/boot/${f%/*}" ;; esac
      cp "$src/$f" "/mnt/boot/$f.tmp" && sync && mv "/mnt/boot/$f.tmp" "/mnt/boot/$f" && sync || log ERROR "Cannot write /mnt/boot/$f."
      log "Deployed /mnt/boot/$f"
    done
  fi
  sync
  umount "$INACTIVE_MNT" || log ERROR "Cannot unmount $INACTIVE_MNT."
}

step_supervisor() {
  log "Checking for a supervisor update"
  image=$(config_get supervisorImage)
  current=${image##*:v}
  if [ -z "$supervisor_version" ] || [ -z "$image" ] || [ "$current" = "$image" ]; then
    log "Supervisor update: not asked for or not managed here (current ${current:-unknown})."
  elif ! version_gt "$supervisor_version" "$current"; then
    log "Supervisor update: no update needed ($current)."
  else
    new=${image%:*}:v$supervisor_version
    pull_with_retries "${registry#*://}/$new" || log ERROR "Could not download supervisor $new after $pull_tries tries."
    docker rm -f "$SUPERVISOR" > /dev/null 2>&1 && supervisor_state=removed
    changed="$changed, supervisor container removed, supervisorImage"
    jq --arg i "$new" '.supervisorImage = $i' "$CONFIGJSON" > "$CONFIGJSON.tmp" && sync &&
      mv "$CONFIGJSON.tmp" "$CONFIGJSON" || log ERROR "Cannot write supervisorImage to config.json."
    log "Supervisor v$current -> v$supervisor_version on the next boot."
  fi
}

step_breadcrumbs() {
  log "Leaving rollback breadcrumbs in $STATEDIR"
  changed="$changed, breadcrumbs"
  rm -f "$STATEDIR/rollback-altboot-triggered" "$STATEDIR/rollback-health-triggered" "$STATEDIR/rollback-health-failed"
  touch "$STATEDIR/rollback-health-breadcrumb" "$STATEDIR/rollback-altboot-breadcrumb" ||
    log ERROR "Cannot write breadcrumbs in $STATEDIR."
  echo "$VERSION" > "$STATEDIR/rollback-previous-version"
  sync
}

step_switch() {
  log "Pointing the bootloader at partition $UPDATE_NR"
  rm -f /mnt/boot/bootcount.env && sync
  { grep -v -e '^resin_root_part=' -e '^upgrade_available=' "$UENV" 2>/dev/null
    printf 'resin_root_part=%s\nupgrade_available=1\n' "$UPDATE_NR"; } > "$UENV.tmp" || log ERROR "Cannot write $UENV.tmp."
  sync
  mv "$UENV.tmp" "$UENV" || log ERROR "Cannot replace $UENV."
  sync
  log "Update to $target_version finished."
}

step_checks
step_stop_supervisor
step_pull
step_mkfs
step_unpack
step_boot_files
step_supervisor
step_breadcrumbs
step_switch
if [ "$NOREBOOT" = no ]; then
  log "Rebooting into the new hostOS in 2 s"
  (sleep 2; sync; reboot) < /dev/null > /dev/null 2>&1 8>&- &
else
  log "Not rebooting (--no-reboot): the new hostOS starts on the next boot."
fi
exit 0
