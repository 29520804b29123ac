# hupbench reference boot script (1.x layout, BeagleBone stand-in). A real BeagleBone's 1.x U-Boot
# imports uEnv.txt from resin-boot and boots the root that `bootpart` (dev:part) names; Debian's
# qemu_arm U-Boot has no such default, so this script does the same: uEnv.txt's bootpart=1:2 or 1:3
# chooses resin-root or resin-updt, whose /boot holds the kernel and initramfs.
# @VARS@ are filled in by the image builder; the revision is the release's, and @BOOT_ENV_FILE@ its
# U-Boot environment.
echo "[boot.scr] hupbench boot script rev @BOOT_SCRIPT_REV@ (@RELEASE@, 1.x)"
if test -z "${devtype}"; then setenv devtype @UBOOT_DEVTYPE@; setenv devnum @UBOOT_DEVNUM@; fi
setenv boot_env_rev none
if fatload ${devtype} ${devnum}:1 ${scriptaddr} @BOOT_ENV_FILE@; then
  env import -t ${scriptaddr} ${filesize}
fi
echo "[boot.scr] U-Boot environment rev ${boot_env_rev}"
setenv bootpart 1:2
if fatload ${devtype} ${devnum}:1 ${scriptaddr} uEnv.txt; then
  env import -t ${scriptaddr} ${filesize}
fi
# Anything but 1:3 boots resin-root: a corrupt uEnv.txt must not leave the board unbootable.
if test "${bootpart}" = "1:3"; then
  setenv resin_root 3
else
  if test "${bootpart}" != "1:2"; then echo "[boot.scr] WARNING: invalid bootpart '${bootpart}', falling back to 1:2"; fi
  setenv resin_root 2
fi
echo "[boot.scr] bootpart=${bootpart} (root partition ${resin_root})"
load ${devtype} ${devnum}:${resin_root} ${kernel_addr_r} /boot/vmlinuz
@KERNEL_LOADED@
load ${devtype} ${devnum}:${resin_root} ${ramdisk_addr_r} /boot/initrd.img
setenv bootargs "console=@CONSOLE@,115200 root=@PARTITION_PREFIX@${resin_root} rootwait panic=5 hupbench.boot_script=@BOOT_SCRIPT_REV@ hupbench.boot_env=${boot_env_rev}"
@BOOT_COMMAND@ ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${fdtcontroladdr}
