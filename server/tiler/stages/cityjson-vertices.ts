// Stage helper: a compact store for a CityJSON document's vertices (Int32 triples when the file has a `transform`,
// Float64 otherwise), kept in memory while small and spilled to a temporary file when large, read back through a small
// page cache (objects use vertices that lie close together in the array).
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Vertices per page: the unit kept in memory, written to and read back from the spill file. */
const PAGE_SHIFT = 15;
const PAGE_VERTICES = 1 << PAGE_SHIFT;
/** Pages read back from the spill file kept at once (at most 16 × 768 kB). */
const CACHED_PAGES = 16;
/** Default size above which vertices go to a temporary file. */
export const DEFAULT_VERTEX_SPILL_BYTES = 64 << 20;
const INT32_MINIMUM = -0x80000000;
const INT32_MAXIMUM = 0x7fffffff;

type Page = Int32Array | Float64Array;

/** Looks a vertex up by index; the returned triple is only valid until the next call. */
export type VertexLookup = (index: number) => ArrayLike<number> | undefined;

/** A lookup over vertices held as arrays (CityJSONSeq features, templates). */
export function lookupArrayVertices(vertices: number[][]): VertexLookup {
  return (index) => vertices[index];
}

/** Append-only vertex store; {@link close} removes its temporary file. */
export class CityJsonVertexStore {
  /** Vertices added. */
  count = 0;
  private integer: boolean;
  private pages: Page[] = [];
  private current: Page;
  private fill = 0;
  private spill?: { directory: string; file: string; descriptor: number; pages: number };
  private readonly cache = new Map<number, Page>();
  private readonly scratch = new Float64Array(3);

  /**
   * @param integer store Int32 (the file has a `transform`, so coordinates are integers); falls back to Float64 when a
   *   value is not a 32-bit integer.
   * @param spillBytes size in memory above which full pages go to a temporary file (default 64 MB).
   */
  constructor(
    integer: boolean,
    private readonly spillBytes = DEFAULT_VERTEX_SPILL_BYTES,
  ) {
    this.integer = integer;
    this.current = this.newPage();
  }

  /** True once pages have gone to the temporary file. */
  get spilled(): boolean {
    return this.spill !== undefined;
  }

  /** Whether coordinates are stored as Int32. */
  get integerStorage(): boolean {
    return this.integer;
  }

  private newPage(): Page {
    return this.integer ? new Int32Array(PAGE_VERTICES * 3) : new Float64Array(PAGE_VERTICES * 3);
  }

  add(x: number, y: number, z: number): void {
    if (
      this.integer &&
      !(
        Number.isInteger(x) &&
        Number.isInteger(y) &&
        Number.isInteger(z) &&
        Math.min(x, y, z) >= INT32_MINIMUM &&
        Math.max(x, y, z) <= INT32_MAXIMUM
      )
    )
      this.widen();
    const offset = this.fill * 3;
    this.current[offset] = x;
    this.current[offset + 1] = y;
    this.current[offset + 2] = z;
    this.count++;
    if (++this.fill === PAGE_VERTICES) {
      // Once pages go to disk, the page just written is reused: no garbage page per 32 768 vertices.
      if (!this.storePage(this.current)) this.current = this.newPage();
      this.fill = 0;
    }
  }

  /** Keeps or writes a full page; true when it went to the spill file (so its array may be reused). */
  private storePage(page: Page): boolean {
    if (!this.spill && (this.pages.length + 1) * page.byteLength > this.spillBytes) {
      const directory = mkdtempSync(path.join(tmpdir(), 'plaza-cityjson-vertices-'));
      const file = path.join(directory, 'vertices.bin');
      this.spill = { directory, file, descriptor: openSync(file, 'w+'), pages: 0 };
      for (const kept of this.pages) this.writePage(kept);
      this.pages = [];
    }
    if (this.spill) {
      this.writePage(page);
      return true;
    }
    this.pages.push(page);
    return false;
  }

  private writePage(page: Page): void {
    const spill = this.spill!;
    const bytes = Buffer.from(page.buffer, page.byteOffset, page.byteLength);
    writeSync(spill.descriptor, bytes, 0, bytes.length, spill.pages * bytes.length);
    spill.pages++;
  }

  private readPage(index: number): Page {
    const cached = this.cache.get(index);
    if (cached) {
      this.cache.delete(index);
      this.cache.set(index, cached);
      return cached;
    }
    // The least recently used page's array takes the new page once the cache is full.
    let page: Page;
    if (this.cache.size >= CACHED_PAGES) {
      const oldest = this.cache.keys().next().value!;
      page = this.cache.get(oldest)!;
      this.cache.delete(oldest);
    } else page = this.newPage();
    const bytes = Buffer.from(page.buffer, page.byteOffset, page.byteLength);
    readSync(this.spill!.descriptor, bytes, 0, bytes.length, index * bytes.length);
    this.cache.set(index, page);
    return page;
  }

  /** Switches to Float64 storage, converting what is stored (in memory and in the spill file). */
  private widen(): void {
    const spill = this.spill;
    if (spill) {
      const narrow = new Int32Array(PAGE_VERTICES * 3);
      const narrowBytes = Buffer.from(narrow.buffer);
      // Backwards, in place: Float64 page i covers the bytes of Int32 pages 2i and 2i + 1, which are i or read already.
      for (let index = spill.pages - 1; index >= 0; index--) {
        readSync(spill.descriptor, narrowBytes, 0, narrowBytes.length, index * narrowBytes.length);
        const wide = Float64Array.from(narrow);
        writeSync(spill.descriptor, Buffer.from(wide.buffer), 0, wide.byteLength, index * wide.byteLength);
      }
    } else this.pages = this.pages.map((page) => Float64Array.from(page));
    this.cache.clear();
    this.integer = false;
    this.current = Float64Array.from(this.current);
  }

  /** The vertex at `index` as a triple valid until the next call, or undefined when there is none. */
  readonly lookup: VertexLookup = (index) => {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) return undefined;
    const pageIndex = index >>> PAGE_SHIFT;
    const completePages = this.spill ? this.spill.pages : this.pages.length;
    const page =
      pageIndex === completePages
        ? this.current
        : this.spill
          ? this.readPage(pageIndex)
          : this.pages[pageIndex];
    const offset = (index & (PAGE_VERTICES - 1)) * 3;
    this.scratch[0] = page[offset];
    this.scratch[1] = page[offset + 1];
    this.scratch[2] = page[offset + 2];
    return this.scratch;
  };

  /** Frees memory and removes the temporary file. */
  close(): void {
    if (this.spill) {
      closeSync(this.spill.descriptor);
      rmSync(this.spill.directory, { recursive: true, force: true });
      this.spill = undefined;
    }
    this.pages = [];
    this.cache.clear();
  }
}
