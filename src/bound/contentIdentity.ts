/**
 * Identities of matrix contents: two matrices get the same identity exactly when they have the
 * same shape, element type and bytes, so a spectrum computed for one is valid for the other.
 *
 * A digest of every byte (SHA-256) cost a sweep of 90-row splits a tenth of its run time. Here a
 * fingerprint of a few hundred evenly spaced words picks the candidates, and a candidate is
 * confirmed by comparing all bytes (memcmp speed, and only when the fingerprints agree), so the
 * answer is exact, not probabilistic. Matrices are held weakly: a collected one is forgotten.
 */
import type { Matrix } from '../interface';

/** Words sampled into a fingerprint; enough that different embeddings almost never agree on all of them. */
const SAMPLED_WORDS = 257;

interface KnownContent {
  /** The matrix's own array (a view made here would be collected at once), and how many of its values count. */
  readonly data: WeakRef<Float32Array | Float64Array>;
  readonly length: number;
  readonly identity: string;
}

const known = new Map<string, KnownContent[]>();
let nextIdentity = 1;

function bytesOf(data: Float32Array | Float64Array, length: number): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, length * data.BYTES_PER_ELEMENT);
}

function fingerprint(matrix: Matrix, bytes: Uint8Array): string {
  const { rows, cols, data } = matrix;
  let hash = 0x811c9dc5;
  const words = Math.floor(bytes.byteLength / 4);
  if (words > 0) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const step = Math.max(1, Math.floor(words / SAMPLED_WORDS));
    for (let w = 0; w < words; w += step) hash = Math.imul(hash ^ view.getUint32(w * 4, true), 0x01000193);
    hash = Math.imul(hash ^ view.getUint32((words - 1) * 4, true), 0x01000193);
  }
  return `${rows}x${cols}:${data instanceof Float32Array ? 'f4' : 'f8'}:${(hash >>> 0).toString(36)}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The identity of this matrix's content (shape, element type, bytes), e.g. `c12`. */
export function contentIdentity(matrix: Matrix): string {
  const length = matrix.rows * matrix.cols;
  const bytes = bytesOf(matrix.data, length);
  const key = fingerprint(matrix, bytes);
  const candidates = known.get(key) ?? [];
  for (let k = candidates.length - 1; k >= 0; k--) {
    const candidate = candidates[k];
    const seen = candidate.data.deref();
    if (seen === undefined) candidates.splice(k, 1);
    else if (sameBytes(bytesOf(seen, candidate.length), bytes)) return candidate.identity;
  }
  const identity = `c${nextIdentity++}`;
  candidates.push({ data: new WeakRef(matrix.data), length, identity });
  known.set(key, candidates);
  return identity;
}
