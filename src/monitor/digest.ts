/**
 * Digests that identify rows in a resumable monitoring log: the reference's matrices, and each
 * window's rows of the stream, so that a rerun can tell whether the rows a finished window was
 * computed on are still the ones in the stream (a stream that only grew keeps its windows).
 */
import { createHash } from 'node:crypto';
import type { EmbeddingSet, Matrix } from '../interface';

/** SHA-256 (hex) of matrices' shapes and bytes, absent ones marked as such. */
export function matrixDigest(matrices: readonly (Matrix | undefined)[]): string {
  const hash = createHash('sha256');
  for (const matrix of matrices) {
    if (!matrix) {
      hash.update('absent;');
      continue;
    }
    const { rows, cols, data } = matrix;
    hash.update(`${rows}x${cols}:${data instanceof Float32Array ? 'f4' : 'f8'}:`);
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return `sha256:${hash.digest('hex')}`;
}

/** The rows [start, end) of every matrix of a set, viewed without copying. */
function rowView(matrix: Matrix | undefined, start: number, end: number): Matrix | undefined {
  if (!matrix) return undefined;
  return { rows: end - start, cols: matrix.cols, data: matrix.data.subarray(start * matrix.cols, end * matrix.cols) };
}

/** A digest of the stream's rows [start, end), 16 hex digits: enough to notice changed rows, short enough for every line. */
export function windowDigest(stream: EmbeddingSet, start: number, end: number): string {
  return matrixDigest([stream.image, stream.text, stream.response, stream.reference].map((matrix) => rowView(matrix, start, end))).slice(0, 'sha256:'.length + 16);
}
