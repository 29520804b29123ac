// Picks the rig implementation a rig file asks for.
import { BenchRig } from './bench/bench-rig.ts';
import { QemuRig } from './qemu/qemu-rig.ts';
import type { RigConfig } from './rig-config.ts';
import type { Rig } from './rig.ts';

export function createRig(config: RigConfig, workDir: string): Rig {
  switch (config.kind) {
    case 'qemu':
      return new QemuRig(config, workDir);
    case 'bench':
      return new BenchRig(config, workDir);
  }
}
