// The emulated Raspberry Pi firmware reads config.txt as the real one does.
import { test, expect } from '@playwright/test';
import { parseConfigTxt } from '../../harness/rig/qemu/boards/gpu-firmware.ts';

test('2.x config.txt: U-Boot as the kernel, no initramfs', () => {
  expect(parseConfigTxt('kernel=u-boot.bin\nenable_uart=1\narm_64bit=1\n')).toEqual({
    config: { kernel: 'u-boot.bin', enable_uart: '1', arm_64bit: '1' },
    initramfs: undefined,
  });
});

test('1.x config.txt: Linux and its initramfs, comments ignored', () => {
  const parsed = parseConfigTxt(
    '# 1.x\nkernel=kernel8.img\ninitramfs initrd.img followkernel\nenable_uart=1 # console on the mini-UART\n',
  );
  expect(parsed).toEqual({ config: { kernel: 'kernel8.img', enable_uart: '1' }, initramfs: 'initrd.img' });
});
