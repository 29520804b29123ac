// Where the updater scripts come from: images/updater/<name> (hupbench's reference updaters), or
// $HUPBENCH_UPDATER_DIR (a vendor's updater, or a deliberately broken copy of ours).
import path from 'node:path';
import { projectRoot } from '../project-root.ts';

/** The local path of the updater script (or, for `resinhup`, the secondary updater's directory). */
export function updaterScript(name: string): string {
  return path.join(process.env.HUPBENCH_UPDATER_DIR ?? path.join(projectRoot, 'images/updater'), name);
}
