// The QEMU board for each device type.
import { InfraError } from '../../errors.ts';
import type { QemuBoard } from './boards/board.ts';
import { beagleboneBlack } from './boards/beaglebone-black.ts';
import { raspberrypi3 } from './boards/raspberrypi3.ts';

const boards: Record<string, QemuBoard> = {
  'beaglebone-black': beagleboneBlack,
  'raspberrypi3-64': raspberrypi3,
};

export function qemuBoardFor(deviceType: string): QemuBoard {
  const board = boards[deviceType];
  if (!board)
    throw new InfraError(`No QEMU board for device type ${deviceType}. Known: ${Object.keys(boards).join(', ')}`);
  return board;
}
