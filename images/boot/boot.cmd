# hupbench reference boot script (2.x): imports the release's U-Boot environment (@BOOT_ENV_FILE@) and
# then the device's resinOS_uEnv.txt from resin-boot, boots the kernel and initramfs from the root
# partition it names. @VARS@ are filled in by the image builder; the revision is the release's.
echo "[boot.scr] hupbench boot script rev @BOOT_SCRIPT_REV@ (@RELEASE@)"
if test -z "${devtype}"; then setenv devtype @UBOOT_DEVTYPE@; setenv devnum @UBOOT_DEVNUM@; fi
setenv boot_env_rev none
if fatload ${devtype} ${devnum}:1 ${scriptaddr} @BOOT_ENV_FILE@; then
  env import -t ${scriptaddr} ${filesize}
fi
echo "[boot.scr] U-Boot environment rev ${boot_env_rev}"
setenv resin_root_part 2
setenv upgrade_available 0
if fatload ${devtype} ${devnum}:1 ${scriptaddr} resinOS_uEnv.txt; then
  env import -t ${scriptaddr} ${filesize}
fi
# A corrupt env file must not leave the board unbootable: anything but 2 or 3 means root A.
if test "${resin_root_part}" != 2 -a "${resin_root_part}" != 3; then
  echo "[boot.scr] WARNING: invalid resin_root_part '${resin_root_part}', falling back to 2"
  setenv resin_root_part 2
fi
echo "[boot.scr] resin_root_part=${resin_root_part} upgrade_available=${upgrade_available}"
# An update on trial: count its boots in bootcount.env on resin-boot (U-Boot writes FAT, not ext4).
# Past the limit the new root is given up for the other one; rollback-altboot in that OS restores
# the boot settings. The updater removes bootcount.env when it switches roots.
if test "${upgrade_available}" = 1; then
  setenv bootcount 0
  if fatload ${devtype} ${devnum}:1 ${scriptaddr} bootcount.env; then
    env import -t ${scriptaddr} ${filesize} bootcount
  fi
  # setexpr counts in hex; the limit is below 10, so the digits read the same.
  setexpr bootcount ${bootcount} + 1
  echo "[boot.scr] bootcount=${bootcount} (limit @BOOT_LIMIT@)"
  env export -t ${scriptaddr} bootcount
  fatwrite ${devtype} ${devnum}:1 ${scriptaddr} bootcount.env ${filesize}
  if test ${bootcount} -gt @BOOT_LIMIT@; then
    echo "WARNING! BOOTLIMIT EXCEEDED. SWITCHING TO PREVIOUS ROOT"
    if test "${resin_root_part}" = 2; then setenv resin_root_part 3; else setenv resin_root_part 2; fi
    echo "[boot.scr] booting the previous root, partition ${resin_root_part}"
  fi
fi
load ${devtype} ${devnum}:${resin_root_part} ${kernel_addr_r} /boot/vmlinuz
@KERNEL_LOADED@
load ${devtype} ${devnum}:${resin_root_part} ${ramdisk_addr_r} /boot/initrd.img
setenv bootargs "console=@CONSOLE@,115200 root=@PARTITION_PREFIX@${resin_root_part} rootwait panic=5 hupbench.boot_script=@BOOT_SCRIPT_REV@ hupbench.boot_env=${boot_env_rev}"
@BOOT_COMMAND@ ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${fdtcontroladdr}
