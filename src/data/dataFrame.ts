/**
 * Splits as danfojs-node DataFrames for notebooks. danfojs-node is an optional peer (it installs
 * only with two `overrides`, see optionalPeers.ts) and takes about a second to load, so it is
 * loaded inside the functions: importing this module (or the package index) needs neither, and a
 * project without it gets an OptionalPeerError saying what to install.
 *
 * Images are not put in the frame as bytes: a cell holding a Uint8Array is neither printable nor
 * usable by danfojs operations. Instead `image` is the encoded size in bytes (a number, so it
 * sorts and filters, and a tiny or zero size flags a broken image) and `image_format` the format
 * read from the file signature (png, jpeg, gif, webp, bmp, or unknown). Both columns are present
 * only when some row has an image; the bytes stay on the SplitRow.
 */
import type { DataFrame } from 'danfojs-node';
import type { SplitRow, SplitTable } from './splitRow';
import { readSplitTable, type ReadSplitTableOptions } from './loaders';
import { loadOptionalPeer } from '../optionalPeers';

type Danfo = typeof import('danfojs-node');

export const DATA_FRAME_COLUMNS = ['question_id', 'question', 'reference_answer', 'model_answer'] as const;
export const IMAGE_COLUMNS = ['image', 'image_format'] as const;

/** The image format named by the first bytes of an encoded image. */
export function imageFormat(bytes: Uint8Array): 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'unknown' {
  const starts = (...signature: number[]) => signature.every((byte, index) => bytes[index] === byte);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'png';
  if (starts(0xff, 0xd8, 0xff)) return 'jpeg';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'gif';
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return 'webp';
  if (starts(0x42, 0x4d)) return 'bmp';
  return 'unknown';
}

/**
 * A DataFrame with one row per query: question_id, question, reference_answer, model_answer
 * (null where absent), plus image (byte length) and image_format when the split has images.
 * Mixed numeric and string ids become strings, since a danfojs column has one dtype.
 * Needs the optional peer danfojs-node (an OptionalPeerError names what to install when absent).
 */
export function toDataFrame(source: SplitTable | readonly SplitRow[]): DataFrame {
  const rows: readonly SplitRow[] = 'rows' in source ? source.rows : source;
  const danfo = loadOptionalPeer<Danfo>('danfojs-node', 'toDataFrame');
  const numericIds = rows.every((row) => typeof row.question_id === 'number');
  const columns: Record<string, unknown[]> = {
    question_id: rows.map((row) => (numericIds ? row.question_id : String(row.question_id))),
    question: rows.map((row) => row.question),
    reference_answer: rows.map((row) => row.reference_answer),
    model_answer: rows.map((row) => row.model_answer ?? null),
  };
  if (rows.some((row) => row.image !== undefined)) {
    columns.image = rows.map((row) => row.image?.length ?? null);
    columns.image_format = rows.map((row) => (row.image ? imageFormat(row.image) : null));
  }
  if (rows.length === 0) return new danfo.DataFrame([], { columns: Object.keys(columns) });
  // danfojs types its constructor input loosely; the record of equal-length arrays is what it expects.
  return new danfo.DataFrame(columns as never);
}

/** `readSplitTable` then `toDataFrame` (needs the optional peer danfojs-node). */
export async function readSplitDataFrame(file: string, options: ReadSplitTableOptions = {}): Promise<DataFrame> {
  // Before reading the file: a missing peer should not cost a large parquet read first.
  loadOptionalPeer<Danfo>('danfojs-node', 'readSplitDataFrame');
  return toDataFrame(await readSplitTable(file, options));
}
