// The Debian packages that make up the reference OS userland (same for every device type).
/** Installed with their whole dependency closure. */
// jq: the engine reads registry manifests and config.json with it.
export const userlandPackages = ['busybox-static', 'dropbear-bin', 'e2fsprogs', 'jq'];
/**
 * Taken without their dependency closure (util-linux's pulls in dpkg and PAM): blkid and lsblk and
 * the libraries those two need.
 */
// openssh-sftp-server: dropbear has no SFTP of its own and runs /usr/lib/sftp-server (an overlay
// wrapper around /usr/lib/openssh/sftp-server, which needs only libc); the harness uploads over SFTP.
export const userlandPackagesNoDeps = [
  'openssh-sftp-server',
  'util-linux',
  'libmount1',
  'libsmartcols1',
  'libudev1',
  'libselinux1',
  'libpcre2-8-0',
];
