// The wiring of a real board in a rig file (`kind: bench`): console, power, SD-mux, address, and an
// optional network switch. Resources only: data, validated with zod; the drivers live next door.
import { z } from 'zod';

const shellCommand = z.string().trim().min(1, 'an empty command: give the shell command to run');

/**
 * Kernel names of whole disks that change between boots and plug orders, and that name the host's
 * own disk more often than not. A rig must name its SD card by a stable path instead.
 */
const kernelDiskName =
  /^\/dev\/(sd[a-z]+|hd[a-z]+|vd[a-z]+|xvd[a-z]+|nvme\d+n\d+|mmcblk\d+|dm-\d+|md\d+|loop\d+|mapper\/.+|root|disk\/by-(uuid|label|partuuid|partlabel)\/.+)(p?\d+)?$/;

export const cardDevicePath = z
  .string()
  .refine((p) => p.startsWith('/'), {
    message: 'must be an absolute path such as /dev/disk/by-id/usb-LinuxAut_sdmux_HS-SD_MMC_000000000815-0:0',
  })
  .refine((p) => !kernelDiskName.test(p), {
    message:
      "names a disk by its kernel name (or by a filesystem id), which can be the host's system disk and changes between boots. " +
      'Refusing to flash it. Name the SD card by its stable id instead: plug the mux in, switch it to the host and pick the card from `ls -l /dev/disk/by-id/` (e.g. /dev/disk/by-id/usb-LinuxAut_sdmux_HS-SD_MMC_000000000815-0:0)',
  });

const serialConsole = z.object({
  /** The adapter, by a stable path: /dev/serial/by-id/usb-FTDI_… */
  path: z
    .string()
    .startsWith('/dev/', 'must be a device path such as /dev/serial/by-id/usb-FTDI_TTL232R-3V3_FT0ABC12-if00-port0'),
  baud: z.number().int().positive().default(115200),
});

const tcpConsole = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** `raw`: ser2net `accepter: tcp,…`; `rfc2217`: `accepter: telnet(rfc2217),tcp,…` (sets the baud rate remotely). */
  protocol: z.enum(['raw', 'rfc2217']).default('raw'),
  baud: z.number().int().positive().default(115200),
});

const consoleWiring = z.union([z.object({ serial: serialConsole }).strict(), z.object({ tcp: tcpConsole }).strict()], {
  error: 'give either `serial: { path, baud }` or `tcp: { host, port, protocol: raw|rfc2217 }`',
});

const powerWiring = z.union(
  [
    z
      .object({
        commands: z.object({ on: shellCommand, off: shellCommand, timeoutSeconds: z.number().positive().default(30) }),
      })
      .strict(),
    z
      .object({
        pdudaemon: z.object({
          url: z.string().url(),
          pdu: z.string().min(1),
          port: z.number().int().min(0),
          timeoutSeconds: z.number().positive().default(60),
        }),
      })
      .strict(),
  ],
  {
    error:
      'give either `commands: { on, off }` (a relay tool such as usbrelay or uhubctl) or `pdudaemon: { url, pdu, port }`',
  },
);

const sdMuxWiring = z
  .object({
    /** usb-sd-mux (Linux Automation): its control device, /dev/usb-sd-mux/id-… or /dev/sg*. */
    usbsdmux: z.object({ control: z.string().startsWith('/dev/') }).optional(),
    /** Any other mux (SDWire: `sd-mux-ctrl -e <serial> -s` / `-d`): a command per side. */
    commands: z.object({ host: shellCommand, board: shellCommand }).optional(),
    /** The SD card as the lab host sees it once the mux is switched to the host. */
    device: cardDevicePath,
    /** How long the card may take to appear after switching to the host. */
    switchTimeoutSeconds: z.number().positive().default(30),
  })
  .refine((m) => Boolean(m.usbsdmux) !== Boolean(m.commands), {
    message: 'give exactly one of `usbsdmux: { control }` or `commands: { host, board }`',
  });

const addressWiring = z.union(
  [
    z.object({ fixed: z.string().min(1), sshPort: z.number().int().min(1).max(65535).default(22) }).strict(),
    z
      .object({
        fromConsole: z.string().regex(/^[a-z0-9.@-]+$/, 'an interface name such as eth0'),
        sshPort: z.number().int().min(1).max(65535).default(22),
      })
      .strict(),
  ],
  {
    error:
      'give either `fixed: <address>` or `fromConsole: <interface>` (read with `ip -4 addr` after logging in on the console)',
  },
);

const networkWiring = z.object({ up: shellCommand, down: shellCommand });

export const benchWiringSchema = z.object({
  console: consoleWiring,
  power: powerWiring,
  sdMux: sdMuxWiring,
  address: addressWiring,
  network: networkWiring.optional(),
});

/** The fields a `kind: bench` rig file adds to the common ones. */
export const benchRigFields = {
  console: consoleWiring.optional(),
  power: powerWiring.optional(),
  sdMux: sdMuxWiring.optional(),
  address: addressWiring.optional(),
  network: networkWiring.optional(),
  /**
   * A virtual bench: the harness starts a QEMU board reachable only through bench interfaces
   * (ser2net, pdudaemon, a mux script), and wires this rig to it. For CI; no wiring fields then.
   */
  virtualBench: z
    .object({
      memoryMiB: z.number().int().min(128).max(4096).default(512),
      cardSizeMiB: z.number().int().min(64).default(2048),
    })
    .optional(),
};

/** Wiring fields are required on a real bench and refused on a virtual one (it wires itself). */
export function checkBenchWiring(
  rig: { virtualBench?: unknown } & Partial<Record<keyof BenchWiring, unknown>>,
  ctx: z.RefinementCtx,
): void {
  for (const field of ['console', 'power', 'sdMux', 'address'] as const) {
    if (rig.virtualBench && rig[field] !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: 'not allowed with virtualBench: the virtual bench wires itself',
      });
    if (!rig.virtualBench && rig[field] === undefined)
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `required for a bench rig (see rigs/example-bench-beaglebone-black.yaml), or set virtualBench: {} for a virtual one`,
      });
  }
}

export type BenchWiring = z.infer<typeof benchWiringSchema>;
export type ConsoleWiring = z.infer<typeof consoleWiring>;
export type PowerWiring = z.infer<typeof powerWiring>;
export type SdMuxWiring = z.infer<typeof sdMuxWiring>;
export type AddressWiring = z.infer<typeof addressWiring>;
export type NetworkWiring = z.infer<typeof networkWiring>;
