#!/usr/bin/env python3
"""The virtual bench's relay, SD-mux and network switch, driving a QEMU board over QMP.

  virtual-lab.py <lab-dir> power on|off <outlet>   (pdudaemon's localcmdline driver runs this)
  virtual-lab.py <lab-dir> mux host|board
  virtual-lab.py <lab-dir> link up|down <nic id>

The card is <lab-dir>/sd-card.img. Switched to the host, it appears as <lab-dir>/usb/sd-card (as a
USB card reader's disk appears under /dev/disk/by-id); switched to the board, it disappears. Like a
real bench, the card cannot be switched to the host while the board is powered, and a board whose
card is on the host is not powered on. State lives in <lab-dir>/{power,mux}; a lock serialises."""
import fcntl, json, os, socket, sys

OUTLET = "1"


def fail(message):
    print(f"virtual-lab: {message}", file=sys.stderr)
    sys.exit(1)


def qmp(lab, *commands):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(os.path.join(lab, "qmp.sock"))
    f = s.makefile("rw")
    json.loads(f.readline())  # greeting
    for cmd in ({"execute": "qmp_capabilities"},) + commands:
        f.write(json.dumps(cmd) + "\n")
        f.flush()
        while True:
            reply = json.loads(f.readline())
            if "error" in reply:
                fail(f"QMP {cmd['execute']} failed: {reply['error']}")
            if "return" in reply:
                break  # anything else is an event
    s.close()


def state(lab, name, default):
    try:
        with open(os.path.join(lab, name)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return default


def set_state(lab, name, value):
    tmp = os.path.join(lab, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(value + "\n")
    os.replace(tmp, os.path.join(lab, name))


def main():
    if len(sys.argv) < 4:
        fail(__doc__)
    lab, what, action = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(os.path.join(lab, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        power, mux = state(lab, "power", "off"), state(lab, "mux", "board")
        usb = os.path.join(lab, "usb", "sd-card")
        if what == "power":
            if len(sys.argv) > 4 and sys.argv[4] != OUTLET:
                fail(f"outlet {sys.argv[4]} is not wired: the board is on outlet {OUTLET}")
            if action == "on":
                if mux == "host":
                    fail("refusing to power on: the SD card is switched to the host")
                # Note: power off froze the CPU; a reset before continuing makes it a cold boot.
                qmp(lab, {"execute": "system_reset"}, {"execute": "cont"})
            elif action == "off":
                qmp(lab, {"execute": "stop"})
            else:
                fail(f"unknown power action {action}")
            set_state(lab, "power", action)
        elif what == "mux":
            if action == "host":
                if power == "on":
                    fail("refusing to switch the SD card to the host: the board is powered (power it off first)")
                os.makedirs(os.path.dirname(usb), exist_ok=True)
                if not os.path.lexists(usb):
                    os.symlink(os.path.join(lab, "sd-card.img"), usb)
            elif action == "board":
                if os.path.lexists(usb):
                    os.unlink(usb)
            else:
                fail(f"unknown mux action {action}")
            set_state(lab, "mux", action)
        elif what == "link":
            if action not in ("up", "down") or len(sys.argv) < 5:
                fail(f"unknown link action {action}")
            qmp(lab, {"execute": "set_link", "arguments": {"name": sys.argv[4], "up": action == "up"}})
        else:
            fail(f"unknown device {what}")


main()
