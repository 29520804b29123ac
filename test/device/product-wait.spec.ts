// A product wait that runs out is a product failure (a failed `expect(<rig>).toReach(…)`), with the
// rig's report; it is the rig's failure (InfraError) when the console line is gone.
import { test, expect } from '@playwright/test';
import { SerialConsole } from '../../harness/console/serial-console.ts';
import type { ConsoleTransport } from '../../harness/console/transport.ts';
import { expectOnConsole } from '../../harness/device/product-wait.ts';
import { InfraError, ProductWaitError } from '../../harness/errors.ts';
import type { Rig } from '../../harness/rig/rig.ts';

function fakeRig(attached: boolean): Rig {
  const console = new SerialConsole('fake-board');
  const transport: ConsoleTransport = {
    description: 'fake',
    write: async () => {},
    onData: () => {},
    close: async () => {},
  };
  if (attached) console.attach(transport);
  return { console, config: { name: 'fake-board' }, powerReport: () => 'fake-board: power on' } as unknown as Rig;
}

test('a console event the product never printed is a product failure naming what was awaited', async () => {
  const error = await expectOnConsole(fakeRig(true), /BOOTLIMIT EXCEEDED/, {
    timeoutMs: 200,
    what: 'U-Boot giving up on the new OS',
  }).catch((e: Error) => e);
  expect(error).toBeInstanceOf(ProductWaitError);
  expect((error as Error).message).toMatch(
    /^U-Boot giving up on the new OS: did not happen\.\nexpect\(fake-board\)\.toReach\("U-Boot giving up on the new OS"\) failed: /,
  );
  expect((error as Error).message).toContain('Rig: fake-board: power on; host load');
});

test('the same wait with the console line gone is the rig failing', async () => {
  const error = await expectOnConsole(fakeRig(false), /BOOTLIMIT EXCEEDED/, {
    timeoutMs: 200,
    what: 'U-Boot giving up on the new OS',
  }).catch((e: Error) => e);
  expect(error).toBeInstanceOf(InfraError);
  expect((error as Error).message).toMatch(/the rig failed while the harness waited \(the console line is gone\)/);
});
