// Which side failed: the rig (InfraError and its WaitTimeoutError: QEMU would not start, the console
// went silent, SSH never came up) or the product (an assertion on the device). Playwright keeps an
// error's class only in its stack's first line (`InfraError: …`), so that is what is read here, by
// the retry policy, and by the Allure categories (categories.ts), which use the same patterns.
export type FailureKind = 'infrastructure' | 'harness' | 'timeout' | 'product';

export interface ErrorLike {
  message?: string;
  stack?: string;
}

/** Error class names that mean the rig, not the product, failed (harness/errors.ts). */
// Note: Playwright keeps only the name, so every subclass of InfraError is listed here by its name;
// test/report/infra-error-names.spec.ts fails when one is missing.
export const infraErrorNames = [
  'InfraError',
  'WaitTimeoutError',
  'RigConfigError',
  'RigLeaseError',
  'RegistryError',
  'ExecRefused',
  'FlashRefused',
];
export const harnessErrorPattern = '(?:SyntaxError|ReferenceError)\\b|Error: Cannot find module\\b';

const infraPattern = new RegExp(`^(?:\\S+ )?(?:${infraErrorNames.join('|')})\\b`);
/**
 * The suite or the harness could not be loaded (a module missing an export, a syntax error): the
 * checkout is broken, not the product; retried like a rig fault, and shown apart.
 */
const harnessPattern = /^(?:SyntaxError|ReferenceError)\b|^Error: Cannot find module\b/;
/** Playwright's own budget for a test ran out: could be either side, so it has its own category. */
const timeoutPattern = /^Test timeout of \d+ms exceeded/;

// Note: ANSI colour codes wrap parts of Playwright's messages.
const plain = (s = '') => s.replace(/\u001b\[[0-9;]*m/g, '');

export function failureKind(error: ErrorLike): FailureKind {
  const firstLines = [plain(error.stack).split('\n')[0] ?? '', plain(error.message).split('\n')[0] ?? ''];
  if (firstLines.some((l) => infraPattern.test(l.trim()))) return 'infrastructure';
  if (firstLines.some((l) => harnessPattern.test(l.trim()))) return 'harness';
  if (firstLines.some((l) => timeoutPattern.test(l.trim()))) return 'timeout';
  return 'product';
}

/** Kinds a retry may turn into a pass (shown as flaky): the rig or the checkout, not the product. */
export const retryableKinds: FailureKind[] = ['infrastructure', 'harness'];

/** The kind of a failed attempt: retryable only when every error in it is. */
export function attemptFailureKind(errors: ErrorLike[]): FailureKind {
  const kinds = errors.map(failureKind);
  if (!kinds.length) return 'product';
  if (kinds.every((k) => k === 'infrastructure')) return 'infrastructure';
  if (kinds.every((k) => retryableKinds.includes(k))) return 'harness';
  if (kinds.includes('product')) return 'product';
  return 'timeout';
}

/**
 * One line that says what failed: the first line of the message, joined to the next one when the
 * first is only a matcher's hint (`Error: expect(received).toBootFrom(expected)`).
 */
export function failureHeadline(message = ''): string {
  const lines = plain(message)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const [first = '', second] = lines;
  return /^(?:\w+: )?expect\(.*\)\.(?:not\.)?\w+\(.*\)$/.test(first) && second ? `${first}: ${second}` : first;
}
