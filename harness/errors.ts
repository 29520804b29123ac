/**
 * The rig failed, not the product: QEMU would not start, the console went silent, SSH never came up.
 * Reports put these in their own category, and only these are worth a retry.
 */
export class InfraError extends Error {
  override name = 'InfraError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A wait ran out. Names what it waited for, for how long, and what was seen meanwhile. */
export class WaitTimeoutError extends InfraError {
  override name = 'WaitTimeoutError';
}

/**
 * The product did not get where it must in time: the updated OS never reached its login prompt or
 * SSH, the rollback never showed on the console. A product failure like a failed assertion: counted
 * as one, never retried. Raised by `expectOnDevice` (harness/device/product-wait.ts) when the rig
 * itself was sound while it waited.
 */
export class ProductWaitError extends Error {
  override name = 'ProductWaitError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
