/** Seeded synthetic embeddings for tests. */
import type { EmbeddingSet, Matrix } from '../../src/interface';
import { createRng } from '../../src/random';

/** n × d Gaussian rows, optionally shifted by `offset` along the first axis, L2-normalised. */
export function unitRows(n: number, d: number, seed: number, offset = 0): Matrix {
  const rng = createRng(seed);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < d; j++) {
      const value = rng.normal() + (j === 0 ? offset : 0);
      data[i * d + j] = value;
      norm += value * value;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let j = 0; j < d; j++) data[i * d + j] *= scale;
  }
  return { rows: n, cols: d, data };
}

/** A seeded n × n symmetric matrix of standard normals (row-major, both triangles written). */
export function randomSymmetric(n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const value = rng.normal();
      a[i * n + j] = value;
      a[j * n + i] = value;
    }
  }
  return a;
}

export function syntheticSet(n: number, d: number, seed: number, options: { image?: boolean; offset?: number; name?: string } = {}): EmbeddingSet {
  const offset = options.offset ?? 0;
  const set = {
    name: options.name,
    text: unitRows(n, d, seed * 10 + 1, offset),
    response: unitRows(n, d, seed * 10 + 2, offset),
    reference: unitRows(n, d, seed * 10 + 3),
  };
  return options.image === false ? set : { ...set, image: unitRows(n, d, seed * 10 + 4, offset) };
}
