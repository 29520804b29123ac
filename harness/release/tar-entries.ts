// Reads the entries of a tar stream held in memory (ustar, with pax and GNU long names): enough to
// open docker save / OCI image archives and image layers without unpacking them to disk.
export interface TarEntry {
  /** Without a leading `./`. */
  name: string;
  /** `0` file, `2` symlink, `5` directory, … (ustar type flag). */
  type: string;
  linkName: string;
  data: Buffer;
}

const field = (header: Buffer, at: number, length: number) =>
  header
    .subarray(at, at + length)
    .toString('utf8')
    .replace(/\0[\s\S]*$/, '');

const octal = (header: Buffer, at: number, length: number) => parseInt(field(header, at, length).trim() || '0', 8);

function paxRecords(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  for (const line of data.toString('utf8').split('\n')) {
    const m = /^\d+ ([^=]+)=(.*)$/.exec(line);
    if (m) records[m[1]!] = m[2]!;
  }
  return records;
}

export function* tarEntries(tar: Buffer): Generator<TarEntry> {
  let longName: string | undefined;
  let longLink: string | undefined;
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) return;
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156]!) || '0';
    const data = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const pax = paxRecords(data);
      longName = pax.path ?? longName;
      longLink = pax.linkpath ?? longLink;
      continue;
    }
    if (type === 'g') continue;
    if (type === 'L' || type === 'K') {
      if (type === 'L') longName = data.toString('utf8').replace(/\0+$/, '');
      else longLink = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    const prefix = field(header, 345, 155);
    const short = field(header, 0, 100);
    const name = (longName ?? (prefix ? `${prefix}/${short}` : short)).replace(/^\.\//, '').replace(/\/$/, '');
    const linkName = longLink ?? field(header, 157, 100);
    longName = longLink = undefined;
    yield { name, type: type === '\0' ? '0' : type, linkName, data };
  }
}

/** The regular files of a tar stream by name (a later entry of the same name wins, as tar -x does). */
export function tarFiles(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const e of tarEntries(tar)) if (e.type === '0' || e.type === '7') files.set(e.name, e.data);
  return files;
}
