/**
 * The fixed sparse random projections the image embedders use to reach their space's dimension:
 * a ternary matrix drawn once from a documented seed, applied in float64, then scaled to unit
 * length. Each embedder draws its own matrix; applying one is the same for all of them.
 */

/**
 * `matrix` (rows × cols ternary, row-major) times `features`, scaled to unit length into `out`
 * (rows values). A product of exact zeros has no direction: the first basis vector keeps the
 * row usable instead of dividing by zero.
 */
export function projectToUnitLength(matrix: Int8Array, rows: number, cols: number, features: ArrayLike<number>, out: Float32Array = new Float32Array(rows)): Float32Array {
  const projected = new Float64Array(rows);
  let norm = 0;
  for (let row = 0; row < rows; row++) {
    let sum = 0;
    const base = row * cols;
    for (let col = 0; col < cols; col++) {
      const entry = matrix[base + col];
      if (entry !== 0) sum += entry * features[col];
    }
    projected[row] = sum;
    norm += sum * sum;
  }
  norm = Math.sqrt(norm);
  if (norm === 0) {
    out.fill(0);
    out[0] = 1;
    return out;
  }
  for (let row = 0; row < rows; row++) out[row] = projected[row] / norm;
  return out;
}
