// Stage: plan the units of a conversion. Every file is a unit; a large, uncompressed CityGML file without appearances is
// cut into parts at city object members (`<core:cityObjectMember`, `<cityObjectMember`, `<gml:featureMember`), each
// read as a document of its own: the file's header (prolog, root start tag, name and envelope) + the part + the root's
// close tag. A part that cannot stand alone (a reference into another part, a cut in the wrong place) is detected by
// the reader and the file is then converted whole, so cutting never changes the result.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { isJsonFile } from './convert-unit';
import type { ConversionUnit } from './convert-unit';
import { isGzipFile } from './open-input';
import { fileHasAppearances } from './read-citygml-textures';

/** Options of {@link planUnits}. */
export interface PlanOptions {
  /** Target bytes per part of a large CityGML file; files smaller than two parts stay whole. */
  partBytes: number;
}

const HEADER_SEARCH_BYTES = 4 << 20;
const WINDOW_BYTES = 1 << 20;
const MEMBER = /<((?:[A-Za-z_][\w.-]*:)?(?:cityObjectMember|featureMember))[\s>]/;

function readBytes(descriptor: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const count = readSync(descriptor, buffer, done, length - done, position + done);
    if (count === 0) break;
    done += count;
  }
  return buffer.subarray(0, done);
}

/** The root element's qualified name, if the text starts (after prolog and comments) with a start tag. */
function rootNameOf(text: string): string | undefined {
  let index = 0;
  for (;;) {
    index = text.indexOf('<', index);
    if (index < 0) return undefined;
    if (text.startsWith('<?', index)) index = text.indexOf('?>', index) + 2;
    else if (text.startsWith('<!--', index)) index = text.indexOf('-->', index) + 3;
    else if (text.startsWith('<!', index))
      return undefined; // DOCTYPE: leave it to the whole-file reader.
    else return /^<([A-Za-z_][\w.:-]*)/.exec(text.slice(index, index + 256))?.[1];
    if (index < 2) return undefined;
  }
}

function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  let index = -1;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while ((index = buffer.indexOf(10, index + 1)) >= 0) count++;
  return count;
}

/**
 * Cut points (byte offsets of member start tags) near each multiple of `partBytes`; when the file stays whole,
 * `{ appearances }` once it was scanned for them (the reader need not scan again), undefined before that.
 */
async function cutsOf(
  file: string,
  size: number,
  options: PlanOptions,
): Promise<{ cuts: number[]; header: Buffer; footer: Buffer } | { appearances: boolean } | undefined> {
  if (size < options.partBytes * 2) return undefined;
  if (await isGzipFile(file)) return undefined;
  // Appearances are resolved across the whole file (textures often follow the objects): such files stay whole.
  if (await fileHasAppearances(file)) return { appearances: true };
  const descriptor = openSync(file, 'r');
  try {
    const head = readBytes(descriptor, 0, Math.min(size, HEADER_SEARCH_BYTES));
    const headText = head.toString('latin1');
    const root = rootNameOf(headText);
    const first = MEMBER.exec(headText);
    if (!root || !first) return { appearances: false };
    const memberTag = Buffer.from(`<${first[1]}`, 'latin1');
    const header = head.subarray(0, first.index);
    const cuts: number[] = [];
    let previous = first.index;
    for (let target = options.partBytes; target < size - options.partBytes / 2; target += options.partBytes) {
      if (target <= previous) continue;
      let cut = -1;
      for (let position = target; position < size && cut < 0; position += WINDOW_BYTES) {
        const window = readBytes(
          descriptor,
          position,
          Math.min(WINDOW_BYTES + memberTag.length, size - position),
        );
        let at = window.indexOf(memberTag);
        while (at >= 0) {
          const next = window[at + memberTag.length];
          if (next === 0x3e || next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09) {
            cut = position + at;
            break;
          }
          at = window.indexOf(memberTag, at + 1);
        }
      }
      if (cut < 0 || cut >= size) break;
      cuts.push(cut);
      previous = cut;
    }
    if (cuts.length === 0) return { appearances: false };
    return { cuts, header: Buffer.from(header), footer: Buffer.from(`</${root}>`, 'latin1') };
  } finally {
    closeSync(descriptor);
  }
}

/** The units of a conversion, in input order: whole files, and parts of large CityGML files. */
export async function planUnits(files: string[], options: PlanOptions): Promise<ConversionUnit[]> {
  const units: ConversionUnit[] = [];
  for (const [fileIndex, file] of files.entries()) {
    const isXml = !isJsonFile(file);
    const size = statSync(file).size;
    const plan = isXml ? await cutsOf(file, size, options).catch(() => undefined) : undefined;
    if (!plan || 'appearances' in plan) {
      units.push({
        index: units.length,
        file,
        fileIndex,
        ...(plan ? { hasAppearances: plan.appearances } : {}),
      });
      continue;
    }
    const headerNewlines = countNewlines(plan.header);
    const starts = [0, ...plan.cuts];
    starts.forEach((start, part) => {
      const end = part + 1 < starts.length ? starts[part + 1] : size;
      units.push({
        index: units.length,
        file,
        fileIndex,
        range: {
          start,
          end,
          // The first part starts with the real header; the last ends with the real close tag.
          header: part === 0 ? new Uint8Array(0) : plan.header,
          footer: part + 1 < starts.length ? plan.footer : new Uint8Array(0),
          headerNewlines: part === 0 ? 0 : headerNewlines,
        },
      });
    });
  }
  return units;
}
