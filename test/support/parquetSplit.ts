/** Parquet split fixtures written with hyparquet-writer (tests only). */
type Writer = typeof import('hyparquet-writer');

export interface ParquetSplitOptions {
  image?: 'struct' | 'binary' | 'none';
  ids?: boolean;
  codec?: string;
  compressors?: Record<string, (input: Uint8Array) => Uint8Array>;
  images?: unknown[];
  answers?: boolean;
}

/** A split as parquet bytes, laid out as the published HF splits (struct image column by default). */
export function parquetSplitBuffer(count: number, options: ParquetSplitOptions = {}): Uint8Array {
  const writer = require('hyparquet-writer') as Writer;
  const columnData: { name: string; data: unknown[]; encoding?: string }[] = [];
  const schema: Record<string, unknown>[] = [{ name: 'root' }];
  const image = options.image ?? 'struct';
  const images = options.images ?? [];
  if (image === 'struct') {
    columnData.push({ name: 'image', data: images.map((bytes, i) => (bytes && typeof bytes === 'object' && !(bytes instanceof Uint8Array) ? bytes : { bytes, path: `img${i}.png` })) });
    schema.push(
      { name: 'image', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
      { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    );
  } else if (image === 'binary') {
    columnData.push({ name: 'image', data: images });
    schema.push({ name: 'image', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' });
  }
  if (options.ids !== false) {
    columnData.push({ name: 'question_id', data: Array.from({ length: count }, (_, i) => BigInt(100 + i)) });
    schema.push({ name: 'question_id', type: 'INT64', repetition_type: 'OPTIONAL' });
  }
  const text = (name: string, make: (i: number) => string) => {
    // PLAIN so the encoding test below can find and patch the data page header.
    columnData.push({ name, data: Array.from({ length: count }, (_, i) => make(i)), encoding: 'PLAIN' });
    schema.push({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });
  };
  text('question', (i) => `Describe image ${i} — ünïcödé`);
  text('reference_answer', (i) => `reference ${i}`);
  if (options.answers) text('model_answer', (i) => `answer ${i}`);
  schema[0].num_children = columnData.length;
  const buffer = writer.parquetWriteBuffer({
    columnData,
    schema,
    codec: options.codec ?? 'SNAPPY',
    compressors: options.compressors,
  } as never);
  return new Uint8Array(buffer);
}

