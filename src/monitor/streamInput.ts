/**
 * A monitoring stream from disk: a split folder (its rows in arrival order), or a file of rows
 * to embed (JSONL with question, model_answer, reference_answer and optionally image; CSV and
 * parquet as the loaders read them), embedded in memory with the embedder family the reference
 * split's manifest names (or one the caller names). A stream whose embedding space or dimension
 * differs from the reference's is refused: an estimator and a reference in one space say nothing
 * about rows from another.
 */
import { statSync } from 'node:fs';
import { InputError } from '../errors';
import type { EmbeddingSet } from '../interface';
import { readSplitFolder } from '../data/splitDirectory';
import { readSplitTable } from '../data/loaders';
import { describeSpace, spaceMismatch } from '../data/embeddingSpace';
import { describeReadFailure } from '../io/inputFile';
import { createEmbedder, embed, type CreateEmbedderOptions, type EmbedderPair } from '../embed/index';

/** How `readStream` reads and embeds a stream. */
export interface ReadStreamOptions {
  /** The embedder family for a file of rows (default: the reference's space's `embedder`). */
  embedder?: string | undefined;
  /** Its settings (model folders, server). */
  embedderOptions?: CreateEmbedderOptions | undefined;
  /** Embedders to use instead of creating them (a notebook's own). */
  embedders?: EmbedderPair | undefined;
  /** Rows per embedder call. */
  batchSize?: number | undefined;
}

/** The embedding set of a stream at `path` (a split folder, or a file of rows embedded here), checked against the reference's space. */
export async function readStream(path: string, reference: EmbeddingSet, options: ReadStreamOptions = {}): Promise<EmbeddingSet> {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    throw new InputError(describeReadFailure(error), { file: path });
  }
  let stream: EmbeddingSet;
  if (isDirectory) {
    if (options.embedder !== undefined) throw new InputError('a split folder is already embedded: the embedder goes with a file of rows', { field: 'embedder' });
    stream = readSplitFolder(path);
  } else {
    const table = await readSplitTable(path);
    const kind = options.embedder ?? reference.space?.embedder;
    if (kind === undefined && !options.embedders) {
      throw new InputError("the reference's manifest names no embedding space, so the stream's rows cannot be embedded in it: name the embedder", { field: 'embedder' });
    }
    const embedders = options.embedders ?? createEmbedder(kind as string, options.embedderOptions ?? {});
    stream = await embed(table, embedders, { expectedDimension: reference.text.cols, batchSize: options.batchSize });
  }
  checkStreamSpace(path, stream, reference, options.embedder !== undefined);
  return stream;
}

/** Refuses a stream in another space or of other shapes than the reference (InputError naming the file, or the embedder when one was named). */
export function checkStreamSpace(location: string, stream: EmbeddingSet, reference: EmbeddingSet, embedderNamed = false): void {
  const where = embedderNamed ? { file: location, field: 'embedder' } : { file: location };
  if (stream.text.cols !== reference.text.cols || stream.response.cols !== reference.response.cols) {
    throw new InputError(`the stream's embeddings are ${stream.text.cols}-d (answers ${stream.response.cols}-d), the reference's ${reference.text.cols}-d (answers ${reference.response.cols}-d)`, where);
  }
  if (Boolean(stream.image) !== Boolean(reference.image)) {
    throw new InputError(`the stream is ${stream.image ? 'with images' : 'text-only'} but the reference is ${reference.image ? 'with images' : 'text-only'}`, where);
  }
  if (stream.space && reference.space) {
    const reason = spaceMismatch(stream.space, reference.space);
    if (reason) throw new InputError(`the stream is in space ${describeSpace(stream.space)}, the reference in ${describeSpace(reference.space)}: ${reason}`, where);
  }
}
