/**
 * Benchmark data shaped like the paper's synthetic benchmark: a grid of 7 image conditions ×
 * 5 question conditions = 35 splits (1 ID + 34 OOD). As in the real embeddings, splits that
 * share an image condition share v.npy byte for byte, splits that share a question condition
 * share t.npy, every split shares the reference answers y.npy, and each split has its own model
 * answers yhat.npy. Unit-norm rows; written once per size and reused.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpyMatrix } from '../src/io/npy';
import { createRng } from '../src/random';
import type { Matrix } from '../src/interface';

export const IMAGE_CONDITIONS = 7;
export const QUESTION_CONDITIONS = 5;

/** Rows of a shared base direction plus noise and a split-specific shift, L2-normalised. */
function embeddings(rows: number, dim: number, seed: number, shift: number): Matrix {
  const rng = createRng(seed);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    let norm = 0;
    const offset = i * dim;
    for (let j = 0; j < dim; j++) {
      const value = rng.normal() + (j < 8 ? shift : 0);
      data[offset + j] = value;
      norm += value * value;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) data[offset + j] *= scale;
  }
  return { rows, cols: dim, data };
}

/**
 * Writes (or reuses) the splits under `root`; returns the ID split's name. `layout: 'unique'`
 * gives every split its own matrices (no sharing), the worst case for the spectrum cache.
 */
export function ensureSweepData(root: string, rows: number, dim = 768, layout: 'grid' | 'unique' = 'grid'): string {
  const done = join(root, '.complete');
  const id = 'v0_t0';
  if (existsSync(done)) return id;
  const reference = embeddings(rows, dim, 1, 0);
  for (let v = 0; v < IMAGE_CONDITIONS; v++) {
    const image = embeddings(rows, dim, 100 + v, 0.08 * v);
    for (let t = 0; t < QUESTION_CONDITIONS; t++) {
      const directory = join(root, `v${v}_t${t}`);
      const unique = layout === 'unique' ? 10_000 * (1 + v * QUESTION_CONDITIONS + t) : 0;
      mkdirSync(directory, { recursive: true });
      writeNpyMatrix(join(directory, 'v.npy'), unique ? embeddings(rows, dim, unique + 100 + v, 0.08 * v) : image);
      writeNpyMatrix(join(directory, 't.npy'), embeddings(rows, dim, unique + 200 + t, 0.06 * t));
      writeNpyMatrix(join(directory, 'y.npy'), unique ? embeddings(rows, dim, unique + 1, 0) : reference);
      writeNpyMatrix(join(directory, 'yhat.npy'), embeddings(rows, dim, 1000 + 10 * v + t, 0.03 * (v + t)));
    }
  }
  writeFileSync(done, new Date().toISOString());
  return id;
}
