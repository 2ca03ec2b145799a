/**
 * Minimal read-only ZIP reader for `torch.save` archives.
 *
 * The central directory is the source of truth: torch (via miniz) writes local headers with the
 * data-descriptor flag and zero sizes, so local headers are only used to find where an entry's
 * data begins (their extra field carries torch's alignment padding, which the central copy omits).
 */
import { inflateRawSync } from 'node:zlib';
import { InputError } from '../../errors';

const SIG_LOCAL_HEADER = 0x04034b50;
const SIG_CENTRAL_HEADER = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;

const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_MIN_SIZE = 56;
const CENTRAL_HEADER_SIZE = 46;
const LOCAL_HEADER_SIZE = 30;
const MAX_COMMENT = 0xffff;
const ZIP64_EXTRA_ID = 0x0001;

const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

let crcTable: Uint32Array | undefined;

function getCrcTable(): Uint32Array {
  if (crcTable) return crcTable;
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  crcTable = table;
  return table;
}

/** CRC-32 (ISO-HDLC, as used by ZIP and zlib). */
export function crc32(bytes: Uint8Array): number {
  const table = getCrcTable();
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// The first bytes of a pre-1.6 `torch.save` file: PROTO 2 followed by torch's LONG1 magic number.
const LEGACY_TORCH_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  return prefix.every((b, i) => bytes[i] === b);
}

export class ZipArchive {
  private readonly view: DataView;
  private readonly byName: Map<string, ZipEntry>;

  private constructor(
    private readonly bytes: Uint8Array,
    private readonly fileName: string,
    readonly entries: readonly ZipEntry[],
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.byName = new Map(entries.map((entry) => [entry.name, entry]));
  }

  static open(bytes: Uint8Array, fileName: string): ZipArchive {
    const entries = readCentralDirectory(bytes, fileName);
    return new ZipArchive(bytes, fileName, entries);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** The entry's uncompressed bytes (a view into the archive for stored entries), CRC-checked. */
  read(name: string): Uint8Array {
    const entry = this.byName.get(name);
    if (!entry) throw new InputError(`no entry '${name}' in the ZIP archive`, { file: this.fileName });
    const fail = (message: string): never => {
      throw new InputError(message, { file: this.fileName, field: entry.name });
    };
    if (entry.flags & 0x0001) fail('entry is encrypted; encrypted ZIP archives are not supported');
    const { bytes, view } = this;
    const at = entry.localHeaderOffset;
    if (at + LOCAL_HEADER_SIZE > bytes.length) {
      fail(`truncated archive: local header at byte ${at} lies past the end of the file (${bytes.length} bytes)`);
    }
    if (view.getUint32(at, true) !== SIG_LOCAL_HEADER) {
      fail(`corrupt archive: no ZIP local header at byte ${at} where the central directory points`);
    }
    const dataStart = at + LOCAL_HEADER_SIZE + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
    const dataEnd = dataStart + entry.compressedSize;
    if (dataEnd > bytes.length) {
      fail(`truncated archive: entry data needs bytes ${dataStart}..${dataEnd} but the file has only ${bytes.length}`);
    }
    const raw = bytes.subarray(dataStart, dataEnd);
    let data: Uint8Array;
    if (entry.method === METHOD_STORED) {
      if (entry.compressedSize !== entry.uncompressedSize) {
        fail(`corrupt archive: stored entry has compressed size ${entry.compressedSize} ≠ uncompressed size ${entry.uncompressedSize}`);
      }
      data = raw;
    } else if (entry.method === METHOD_DEFLATE) {
      try {
        // The output cap stops a lying header from inflating without bound.
        const out = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
        data = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      } catch (error) {
        return fail(`corrupt DEFLATE data (or larger than the declared ${entry.uncompressedSize} bytes): ${(error as Error).message}`);
      }
      if (data.length !== entry.uncompressedSize) {
        fail(`corrupt archive: inflated to ${data.length} bytes, the central directory says ${entry.uncompressedSize}`);
      }
    } else {
      return fail(`unsupported ZIP compression method ${entry.method} (only 0 = stored and 8 = deflate are supported)`);
    }
    const actual = crc32(data);
    if (actual !== entry.crc32) {
      fail(`corrupt archive: CRC-32 is ${hex32(actual)}, the central directory says ${hex32(entry.crc32)}`);
    }
    return data;
  }
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

function readU64(view: DataView, at: number, fail: (message: string) => never, what: string): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`corrupt archive: ${what} ${value} is out of range`);
  return Number(value);
}

function findEocd(bytes: Uint8Array, view: DataView): number {
  const lowest = Math.max(0, bytes.length - EOCD_SIZE - MAX_COMMENT);
  for (let at = bytes.length - EOCD_SIZE; at >= lowest; at--) {
    if (view.getUint32(at, true) !== SIG_EOCD) continue;
    // A stray signature inside the comment would claim a comment running past the end.
    if (at + EOCD_SIZE + view.getUint16(at + 20, true) <= bytes.length) return at;
  }
  return -1;
}

function readCentralDirectory(bytes: Uint8Array, fileName: string): ZipEntry[] {
  const fail = (message: string): never => {
    throw new InputError(message, { file: fileName });
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = bytes.length >= EOCD_SIZE ? findEocd(bytes, view) : -1;
  if (eocd < 0) {
    if (startsWith(bytes, LEGACY_TORCH_MAGIC)) {
      fail('legacy (pre-1.6, non-ZIP) torch.save format is not supported; re-save it with torch >= 1.6');
    }
    if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) {
      fail(`truncated ZIP archive: it starts with a ZIP local header but its end-of-central-directory record is missing (${bytes.length} bytes; was the file cut short?)`);
    }
    fail('not a PyTorch checkpoint (no ZIP end-of-central-directory record)');
  }

  if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0) {
    fail('multi-disk (spanned) ZIP archives are not supported');
  }
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);

  const locator = eocd - ZIP64_LOCATOR_SIZE;
  if (locator >= 0 && view.getUint32(locator, true) === SIG_ZIP64_LOCATOR) {
    const zip64At = readU64(view, locator + 8, fail, 'ZIP64 end-of-central-directory offset');
    if (zip64At + ZIP64_EOCD_MIN_SIZE > locator) {
      fail(`truncated or corrupt archive: ZIP64 end-of-central-directory record at byte ${zip64At} does not fit before its locator`);
    }
    if (view.getUint32(zip64At, true) !== SIG_ZIP64_EOCD) {
      fail(`corrupt archive: no ZIP64 end-of-central-directory record at byte ${zip64At}`);
    }
    count = readU64(view, zip64At + 32, fail, 'ZIP64 entry count');
    cdSize = readU64(view, zip64At + 40, fail, 'ZIP64 central-directory size');
    cdOffset = readU64(view, zip64At + 48, fail, 'ZIP64 central-directory offset');
  } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    fail('corrupt archive: ZIP64 sizes are flagged but the ZIP64 end-of-central-directory locator is missing');
  }

  if (cdOffset + cdSize > bytes.length) {
    fail(`truncated archive: the central directory (bytes ${cdOffset}..${cdOffset + cdSize}) runs past the end of the file (${bytes.length} bytes)`);
  }

  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  const cdEnd = cdOffset + cdSize;
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_HEADER_SIZE > cdEnd) fail(`corrupt archive: central directory ends after ${i} of ${count} entries`);
    if (view.getUint32(at, true) !== SIG_CENTRAL_HEADER) fail(`corrupt archive: bad central-directory header signature at byte ${at}`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    let compressedSize = view.getUint32(at + 20, true);
    let uncompressedSize = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let localHeaderOffset = view.getUint32(at + 42, true);
    const nameStart = at + CENTRAL_HEADER_SIZE;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > cdEnd) fail(`corrupt archive: central-directory entry ${i} runs past the directory's end`);
    const name = Buffer.from(bytes.buffer, bytes.byteOffset + nameStart, nameLength).toString(flags & 0x0800 ? 'utf8' : 'latin1');

    // ZIP64 extra fields hold only the values whose 32-bit slots are saturated, in this fixed order.
    let e = extraStart;
    const extraEnd = extraStart + extraLength;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const size = view.getUint16(e + 2, true);
      const body = e + 4;
      if (body + size > extraEnd) fail(`corrupt archive: extra field of '${name}' runs past its end`);
      if (id === ZIP64_EXTRA_ID) {
        let p = body;
        const take = (what: string): number => {
          if (p + 8 > body + size) fail(`corrupt archive: ZIP64 extra field of '${name}' lacks its ${what}`);
          const value = readU64(view, p, fail, `ZIP64 ${what} of '${name}'`);
          p += 8;
          return value;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take('uncompressed size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take('local header offset');
      }
      e = body + size;
    }
    if (uncompressedSize === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      fail(`corrupt archive: '${name}' has saturated 32-bit sizes but no ZIP64 extra field`);
    }

    if (seen.has(name)) fail(`corrupt archive: duplicate entry '${name}'`);
    seen.add(name);
    entries.push({ name, method, flags, crc32: crc, compressedSize, uncompressedSize, localHeaderOffset });
    at = next;
  }
  return entries;
}
