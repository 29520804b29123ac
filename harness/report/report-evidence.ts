// What the report adds to a test's own evidence, from what the test recorded: Allure labels (device
// type, rig; from, to, path class from its `path` record; fault), its bandwidth record (the whole
// update by component, and its findings) and the annotations a release engineer reads (guarantee,
// verdict, bandwidth, downtime) as the description, DeviceState before/after as tables, and which
// side failed. Runs in the evidence fixture's teardown, after the test body attached its files.
import type { TestInfo } from '@playwright/test';
import * as allure from 'allure-js-commons';
import { readFile } from 'node:fs/promises';
import { attemptFailureKind } from './failure-kind.ts';
import { renderDeviceStateHtml } from './render/device-state-html.ts';
import { faultLabel } from './run-summary.ts';
import { componentsSentence, findingSentence, type UpdateBandwidth, updateBandwidth } from './update-bandwidth.ts';
import { MalformedTestData, pathClassTitles, readTestData, type TestData, type TestDataKind } from './test-data.ts';

export interface ReportSubject {
  deviceType: string;
  rigName: string;
}

/** Annotations shown as the test's description, in this order. */
const described = ['path', 'fault', 'guarantee', 'verdict', 'bandwidth', 'downtime', 'health-failure'];

async function attachmentText(testInfo: TestInfo, name: string): Promise<string | undefined> {
  const a = testInfo.attachments.find((x) => x.name === name);
  if (!a) return undefined;
  if (a.body) return a.body.toString('utf8');
  return a.path ? readFile(a.path, 'utf8') : undefined;
}

/** A record of the test; a malformed one is left to the summary reporter, which lists it. */
function recorded<K extends TestDataKind>(testInfo: TestInfo, kind: K): TestData<K> | undefined {
  try {
    return readTestData(testInfo, kind);
  } catch (error) {
    if (error instanceof MalformedTestData) return undefined;
    throw error;
  }
}

function readBandwidth(testInfo: TestInfo): string | undefined {
  const b = recorded(testInfo, 'bandwidth');
  return b && bandwidthProse(b);
}

/** A bandwidth record in words: the whole update (when measured), then the updater's run. */
export function bandwidthProse(b: TestData<'bandwidth'>): string {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
  const registry = b.registryBytes === undefined ? '' : `; registry served ${mib(b.registryBytes)}`;
  const run = `while the updater ran: received ${mib(b.bytesReceived)}, sent ${mib(b.bytesSent)}${registry}${b.registryScope ? ` (${b.registryScope})` : ''}`;
  const whole = updateBandwidth(b);
  return whole ? `${wholeUpdateProse(whole)}; ${run}` : run;
}

/** The whole update in words: its figure, the components, the device's own bytes, the findings. */
function wholeUpdateProse(b: UpdateBandwidth): string {
  const device =
    b.deviceReceivedMiB === undefined
      ? 'the device was not counted'
      : `the device received ${b.deviceReceivedMiB.toFixed(2)} MiB and sent ${b.deviceSentMiB!.toFixed(2)} MiB without the harness's SSH (${b.deviceCovers})`;
  const findings = b.findings.length
    ? `${b.findings.length} finding${b.findings.length === 1 ? '' : 's'}: ${b.findings.map(findingSentence).join('; ')}`
    : 'no findings (nothing served twice, nothing the device held pulled again, no retried download)';
  return `whole update${b.settled ? '' : ' (until the test failed, before the device settled)'}: the registry served ${b.registryMiB.toFixed(2)} MiB (${componentsSentence(b)}); ${device}; ${findings}`;
}

export async function attachReportEvidence(testInfo: TestInfo, subject: ReportSubject): Promise<void> {
  const path = recorded(testInfo, 'path');
  const labels = {
    from: path?.from,
    to: path?.to,
    pathClass: path?.pathClass,
    fault: faultLabel(testInfo.annotations),
  };
  await allure.label('deviceType', subject.deviceType);
  await allure.label('rig', subject.rigName);
  if (labels.from) await allure.label('from', labels.from);
  if (labels.to) await allure.label('to', labels.to);
  if (labels.pathClass) {
    await allure.label('pathClass', labels.pathClass);
    // Behaviors tab: path class → path → device type.
    await allure.epic(pathClassTitles[labels.pathClass]);
    await allure.feature(path!.name);
  }
  if (labels.fault) {
    await allure.label('fault', labels.fault);
    await allure.story(`fault: ${labels.fault}`);
  }
  // Note: labels drive Allure's grouping and filters but are not shown on a test's page;
  // parameters are. Excluded parameters do not change the test's history id.
  const shown: Array<[string, string | undefined]> = [
    ['device type', subject.deviceType],
    ['from', labels.from],
    ['to', labels.to],
    ['path class', labels.pathClass],
    ['fault', labels.fault],
  ];
  for (const [name, value] of shown) if (value) await allure.parameter(name, value, { excluded: true });
  if (testInfo.status !== testInfo.expectedStatus && testInfo.errors.length) {
    await allure.label('failureKind', attemptFailureKind(testInfo.errors));
  }

  const notes = described.flatMap((type) =>
    testInfo.annotations.filter((a) => a.type === type).map((a) => `- **${type}**: ${a.description ?? ''}`),
  );
  if (path)
    notes.unshift(
      `- **path**: ${path.name}${path.variant ? ` (${path.variant})` : ''}, ${pathClassTitles[path.pathClass]} by ${path.updater}`,
    );
  const bandwidth = readBandwidth(testInfo);
  if (bandwidth) notes.push(`- **bandwidth**: ${bandwidth}`);
  if (notes.length) await allure.description(notes.join('\n'));

  const state = await attachmentText(testInfo, 'device-state.json');
  if (state) {
    await testInfo.attach('device-state.html', {
      body: renderDeviceStateHtml(JSON.parse(state), `Device state: ${testInfo.title}`),
      contentType: 'text/html',
    });
  }
}
