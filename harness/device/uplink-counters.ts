// Where a device's byte counters are, as a shell prelude: its first interface that is not loopback
// (the reference OS and a field device have one uplink; the harness reads the same one everywhere).

/** Sets `$iface` to the uplink's name and `$s` to its statistics folder (rx_bytes, tx_bytes). */
export const UPLINK_STATS =
  "iface=$(ls /sys/class/net | grep -v '^lo$' | head -n 1); s=/sys/class/net/$iface/statistics";
