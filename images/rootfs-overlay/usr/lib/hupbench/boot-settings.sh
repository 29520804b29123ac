# Sourced by the rollback services: the 2.x boot settings on resin-boot and the root this boot runs from.
UENV=/mnt/boot/resinOS_uEnv.txt
BOOTCOUNT_ENV=/mnt/boot/bootcount.env
STATE=/mnt/state

# The partition number the kernel was told to mount as root (root=/dev/vda3 → 3).
running_root_part() {
  root=$(sed -n 's/.*root=\([^ ]*\).*/\1/p' /proc/cmdline)
  echo "${root##*[!0-9]}"
}

uenv_value() { sed -n "s/^$1=//p" "$UENV" 2>/dev/null | tail -n 1; }

other_root_part() { if [ "$1" = 2 ]; then echo 3; else echo 2; fi; }

# Writes resin_root_part and upgrade_available (other lines kept) atomically, and ends any trial:
# bootcount.env goes, so U-Boot stops counting.
write_boot_settings() {
  {
    grep -v -e '^resin_root_part=' -e '^upgrade_available=' "$UENV" 2>/dev/null
    echo "resin_root_part=$1"
    echo "upgrade_available=$2"
  } > "$UENV.new" && sync && mv "$UENV.new" "$UENV" || return 1
  rm -f "$BOOTCOUNT_ENV"
  sync
}
