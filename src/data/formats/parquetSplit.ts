/**
 * Parquet splits as the Hugging Face datasets publish them: `image` (a `{bytes, path}` struct,
 * or raw binary), `question`, `reference_answer`, and often `question_id` (absent → the 0-based
 * row index, which is what the reference pipeline pairs responses by). Read with hyparquet and
 * hyparquet-compressors, loaded on first use so the text formats never pay for them.
 */
import type { Compressors, FileMetaData } from 'hyparquet';
import { InputError } from '../../errors';
import { readInputFile } from '../../io/inputFile';
import type { SplitRow } from '../splitRow';
import { assertColumns, buildRows, type SourceRecord } from './rows';
import { kindOf } from './text';

type Hyparquet = typeof import('hyparquet');

/** Both packages are ES modules: `require` works from Node 20.19 on, a real `import()` before that. */
async function loadEsm<T>(name: string): Promise<T> {
  try {
    return require(name) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw error;
    // tsc rewrites `import()` into `require` under CommonJS; a Function body keeps it a real import.
    const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<T>;
    return importEsm(name);
  }
}

let modules: Promise<{ hyparquet: Hyparquet; compressors: Compressors }> | undefined;

function loadParquetModules(): Promise<{ hyparquet: Hyparquet; compressors: Compressors }> {
  modules ??= (async () => ({
    hyparquet: await loadEsm<Hyparquet>('hyparquet'),
    compressors: (await loadEsm<{ compressors: Compressors }>('hyparquet-compressors')).compressors,
  }))();
  return modules;
}

const TEXT_COLUMNS = new Set(['question', 'reference_answer', 'model_answer']);
const READ_COLUMNS = ['question_id', 'question', 'reference_answer', 'model_answer', 'image'];
const utf8 = new TextDecoder('utf-8', { fatal: true });

function readableCodecs(compressors: Compressors): string[] {
  return [...new Set(['UNCOMPRESSED', 'SNAPPY', ...Object.keys(compressors)])];
}

/** Checked before decoding so the message names the column and what would be readable. */
function assertReadableCodecs(metadata: FileMetaData, column: string, compressors: Compressors, file: string): void {
  const readable = readableCodecs(compressors);
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (!meta || meta.path_in_schema[0] !== column || readable.includes(meta.codec)) continue;
      throw new InputError(
        `column '${meta.path_in_schema.join('.')}': unsupported compression codec ${meta.codec ?? '(unknown)'} (readable: ${readable.join(', ')})`,
        { file },
      );
    }
  }
}

function decodeFailure(error: unknown, column: string, compressors: Compressors, file: string): InputError {
  const message = (error as Error).message ?? String(error);
  const encoding = /unsupported encoding: (\S+)/.exec(message);
  if (encoding) return new InputError(`column '${column}': unsupported parquet encoding ${encoding[1] === 'undefined' ? '(unknown id)' : encoding[1]}`, { file });
  const codec = /unsupported compression codec: (\S+)/.exec(message);
  if (codec) return new InputError(`column '${column}': unsupported compression codec ${codec[1]} (readable: ${readableCodecs(compressors).join(', ')})`, { file });
  return new InputError(`column '${column}': cannot decode (${message})`, { file });
}

function imageBytes(value: unknown, file: string, where: string): Uint8Array {
  const location = { file, field: `${where}: image` };
  let bytes = value;
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && 'bytes' in value) {
    bytes = (value as { bytes: unknown }).bytes;
    const path = (value as { path?: unknown }).path;
    if (bytes === null || bytes === undefined) {
      const named = typeof path === 'string' && path !== '' ? ` (only a path, '${path}')` : '';
      throw new InputError(`no embedded image bytes${named}; expected the encoded image inside the file, as Hugging Face datasets store it`, location);
    }
  }
  if (!(bytes instanceof Uint8Array)) throw new InputError(`expected image bytes or a {bytes, path} struct, got ${kindOf(bytes)}`, location);
  if (bytes.length === 0) throw new InputError('empty image bytes', location);
  return bytes;
}

/** Rows of a parquet split; images come back as the encoded bytes (PNG, JPEG, ...). */
export async function readParquetSplit(file: string, options: { textFields?: readonly string[] | undefined } = {}): Promise<SplitRow[]> {
  const textFields = options.textFields ?? [];
  const bytes = readInputFile(file);
  if (bytes.length === 0) throw new InputError('empty file, expected parquet', { file });
  const { hyparquet, compressors } = await loadParquetModules();
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: FileMetaData;
  let columns: string[];
  try {
    metadata = hyparquet.parquetMetadata(buffer);
    columns = hyparquet.parquetSchema(metadata).children.map((child) => child.element.name);
  } catch (error) {
    throw new InputError(`not a readable parquet file (${(error as Error).message})`, { file });
  }
  assertColumns(columns, file, undefined, ['question', 'reference_answer']);
  const rowCount = Number(metadata.num_rows);
  if (rowCount === 0) throw new InputError('no rows', { file });

  const values = new Map<string, unknown[]>();
  for (const column of [...READ_COLUMNS, ...textFields.filter((name) => !READ_COLUMNS.includes(name))].filter((name) => columns.includes(name))) {
    assertReadableCodecs(metadata, column, compressors, file);
    let objects: Record<string, unknown>[];
    try {
      // utf8: false keeps unannotated BYTE_ARRAY (raw image bytes) binary; STRING columns still decode.
      objects = await hyparquet.parquetReadObjects({ file: buffer, metadata, columns: [column], compressors, utf8: false });
    } catch (error) {
      throw decodeFailure(error, column, compressors, file);
    }
    values.set(column, objects.map((object) => object[column]));
  }

  const hasImages = values.has('image');
  const records: SourceRecord[] = Array.from({ length: rowCount }, (_, index) => {
    const where = `row index ${index}`;
    return {
      where,
      get: (column: string) => {
        const value = values.get(column)?.[index];
        if ((TEXT_COLUMNS.has(column) || textFields.includes(column)) && value instanceof Uint8Array) {
          try {
            return utf8.decode(value);
          } catch {
            throw new InputError('not valid UTF-8 text', { file, field: `${where}: ${column}` });
          }
        }
        return value;
      },
    };
  });
  const rows = buildRows(records, file, { idFallback: values.has('question_id') ? undefined : (index) => index, textFields });
  if (hasImages) {
    const images = values.get('image') as unknown[];
    rows.forEach((row, index) => {
      row.image = imageBytes(images[index], file, `row index ${index}`);
    });
  }
  return rows;
}
