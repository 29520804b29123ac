// Is the hostOS image the release it claims to be? Its /etc/os-release (read out of its layers, the
// last layer that has it winning) must name the manifest's VERSION and the device type as MACHINE,
// and its io.resin.os.* labels, where present, must agree: a mislabelled image is refused before
// anything is published.
import path from 'node:path';
import { type GivenImage, imageConfig, layerTar } from './image-archive.ts';
import { ReleaseError } from './release-error.ts';
import { tarEntries } from './tar-entries.ts';

export interface OsRelease {
  VERSION?: string;
  MACHINE?: string;
  [key: string]: string | undefined;
}

export function parseOsRelease(text: string): OsRelease {
  const fields: OsRelease = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) fields[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return fields;
}

/** The image's os-release, or undefined when no layer has one. */
export function hostOsRelease(image: GivenImage): OsRelease | undefined {
  let text: string | undefined;
  for (const layer of image.layers) {
    const links = new Map<string, string>();
    const files = new Map<string, Buffer>();
    for (const e of tarEntries(layerTar(image, layer))) {
      if (e.type === '2') links.set(e.name, e.linkName);
      else if (e.type === '0') files.set(e.name, e.data);
    }
    let name = 'etc/os-release';
    for (let hops = 0; links.has(name) && hops < 5; hops++) {
      const target = links.get(name)!;
      name = path.posix.normalize(
        target.startsWith('/') ? target.slice(1) : path.posix.join(path.posix.dirname(name), target),
      );
    }
    const found = files.get(name) ?? files.get('usr/lib/os-release');
    if (found) text = found.toString('utf8');
  }
  return text === undefined ? undefined : parseOsRelease(text);
}

/** Refuses a hostOS image whose os-release or labels name another version or machine. */
export function checkHostOsLabel(image: GivenImage, version: string, deviceType: string): OsRelease {
  const os = hostOsRelease(image);
  const refuse = (why: string) =>
    new ReleaseError(`Refusing hostOS image ${image.source} for release ${version} (${deviceType}): ${why}`);
  if (!os) throw refuse('it has no /etc/os-release, so what it is cannot be checked');
  if (os.VERSION !== version)
    throw refuse(`its /etc/os-release says VERSION="${os.VERSION ?? ''}", not "${version}" (mislabelled?)`);
  if (os.MACHINE !== deviceType)
    throw refuse(
      `its /etc/os-release says MACHINE="${os.MACHINE ?? ''}", not "${deviceType}" (another device type's image?)`,
    );
  const labels = imageConfig(image).config?.Labels ?? {};
  const labelled = labels['io.resin.os.version'];
  if (labelled !== undefined && labelled !== version)
    throw refuse(`its label io.resin.os.version is "${labelled}", not "${version}"`);
  const labelledType = labels['io.resin.device-type'];
  if (labelledType !== undefined && labelledType !== deviceType)
    throw refuse(`its label io.resin.device-type is "${labelledType}", not "${deviceType}"`);
  return os;
}
