// Allure categories (allure-results/categories.json): infrastructure faults apart from product
// failures. Allure matches `traceRegex` against the whole stack with Java's matches(), hence `(?s)`
// and the trailing `.*`; the patterns are the ones failure-kind.ts uses.
import { harnessErrorPattern, infraErrorNames } from './failure-kind.ts';

export interface AllureCategory {
  name: string;
  description?: string;
  matchedStatuses?: string[];
  messageRegex?: string;
  traceRegex?: string;
  flaky?: boolean;
}

export const categories: AllureCategory[] = [
  {
    name: 'Infrastructure faults (rig, not product)',
    description:
      'The rig failed: QEMU would not start, the console went silent, SSH never came up. Retried; not a verdict on the OS.',
    matchedStatuses: ['failed', 'broken'],
    traceRegex: `(?s)\\s*(?:${infraErrorNames.join('|')})\\b.*`,
  },
  {
    name: 'Harness or suite did not load',
    description:
      'The checkout is broken (a module without the export a suite imports, a syntax error): fix the harness; the product was not tested.',
    matchedStatuses: ['failed', 'broken'],
    traceRegex: `(?s)\\s*(?:${harnessErrorPattern}).*`,
  },
  {
    name: 'Test budget exceeded (timeout)',
    description:
      "Playwright's per-test timeout ran out: the updater or the device hung, or the rig was too slow. Read the console.",
    matchedStatuses: ['failed', 'broken'],
    messageRegex: '(?s)\\s*Test timeout of \\d+ms exceeded.*',
  },
  {
    name: 'Product failures (the OS or the updater)',
    description: 'An assertion on the device failed: the update, the rollback or a refusal did not do what it must.',
    matchedStatuses: ['failed', 'broken'],
    // Note: Allure puts a result in every category it matches, so this one excludes the two above.
    messageRegex: '(?s)(?!\\s*Test timeout of \\d+ms exceeded).*',
    traceRegex: `(?s)(?!\\s*(?:(?:${infraErrorNames.join('|')})\\b|${harnessErrorPattern})).*`,
  },
  {
    name: 'Retried infrastructure faults (flaky)',
    description: 'Passed after a retry of an infrastructure fault (or of a checkout that did not load).',
    matchedStatuses: ['passed'],
    flaky: true,
  },
];
