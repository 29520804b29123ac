// What a saved board of a source depends on, for the two kinds of saved boards (a prepared source,
// a phase of an update): the source card as it is on disk, the registry the device was pointed at
// (its address is in config.json) and the harness code that prepared it. A change in any of them
// makes the saved board stale.
import { stat } from 'node:fs/promises';
import nodePath from 'node:path';
import { hashInputs } from '../../images/lib/cache.ts';
import type { ScenarioContext } from './context.ts';

/** The code that prepares a source (relative to this folder). */
const preparingCode = [
  'source.ts',
  'prepared-source.ts',
  '../device/services.ts',
  '../device/user-data.ts',
  '../device/health-window.ts',
  '../device/wifi-settings.ts',
];

export interface SourceIdentity {
  image: string;
  imageSize: number;
  imageMtime: number;
  from: string;
  registry: string;
  /** A hash of the preparing code and of `moreCode`. */
  code: string;
}

/** The identity of `version`'s source card on this worker; `moreCode` (absolute paths) also counts. */
export async function sourceIdentity(
  ctx: ScenarioContext,
  version: string,
  moreCode: string[] = [],
): Promise<SourceIdentity> {
  const image = nodePath.resolve((await ctx.imageFor(version)).path);
  const info = await stat(image);
  const code = await hashInputs([...preparingCode.map((f) => nodePath.resolve(import.meta.dirname, f)), ...moreCode]);
  return {
    image,
    imageSize: info.size,
    imageMtime: info.mtimeMs,
    from: version,
    registry: ctx.registry.started.deviceUrl,
    code: code.slice(0, 16),
  };
}
