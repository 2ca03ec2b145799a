/**
 * Timings of the symmetric eigensolver: ms per eigenproblem for the WASM and the JS reduction
 * kernels at the sizes a sweep meets, and the throughput of the worker pool on 16 problems of
 * the largest size. Run with `node dist/bench/eigen.js` (prints JSON).
 */
import os from 'node:os';
import { createEigenPool } from '../src/linalg/eigenWorkerPool';
import { isWasmAvailable, symmetricEigenvalues, type EigenBackend } from '../src/linalg/symmetricEigenvalues';
import { createRng } from '../src/random';

const SIZES = [180, 500, 768];
const POOL_PROBLEMS = 16;
const POOL_SIZE = 768;

/**
 * A symmetric positive definite matrix with a covariance-like spread of eigenvalues, built in
 * O(n²) (a Gram matrix would cost O(n³) per problem): a decaying diagonal plus a random symmetric
 * part whose spectrum fills [−1, 1] (Wigner semicircle), on a diagonal shift of 2.
 */
function benchmarkMatrix(n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const a = new Float64Array(n * n);
  const coupling = 0.5 / Math.sqrt(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const value = coupling * rng.normal();
      a[i * n + j] = value;
      a[j * n + i] = value;
    }
    a[i * n + i] = 4 * Math.sqrt(n) * coupling + 10 / (1 + i);
  }
  return a;
}

function median(values: number[]): number {
  const sorted = values.slice().sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median and best ms per call after warm-up runs (which let V8 tier the code up). */
function timeBackend(matrix: Float64Array, n: number, backend: EigenBackend, warmup: number, runs: number) {
  for (let i = 0; i < warmup; i++) symmetricEigenvalues(matrix, n, backend);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    symmetricEigenvalues(matrix, n, backend);
    samples.push(performance.now() - start);
  }
  return { medianMs: round(median(samples)), bestMs: round(Math.min(...samples)), runs };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export async function runEigenBenchmark(): Promise<object> {
  const wasmAvailable = isWasmAvailable();
  const perSize = SIZES.map((n) => {
    const matrix = benchmarkMatrix(n, n);
    const heavy = n >= 500;
    const wasm = wasmAvailable ? timeBackend(matrix, n, 'wasm', heavy ? 3 : 20, heavy ? 7 : 30) : null;
    const js = timeBackend(matrix, n, 'js', heavy ? 1 : 5, heavy ? 3 : 10);
    return {
      n,
      wasm,
      js,
      speedup: wasm === null ? null : round(js.medianMs / wasm.medianMs),
    };
  });

  const threads = os.availableParallelism();
  const pool = createEigenPool(threads);
  try {
    // One problem per worker first: starting a thread and tiering up its code is not throughput.
    await Promise.all(
      Array.from({ length: 2 * threads }, (_, i) => pool.eigenvalues(benchmarkMatrix(POOL_SIZE, 1000 + i), POOL_SIZE)),
    );
    const matrices = Array.from({ length: POOL_PROBLEMS }, (_, i) => benchmarkMatrix(POOL_SIZE, 2000 + i));
    const start = performance.now();
    await Promise.all(matrices.map((matrix) => pool.eigenvalues(matrix, POOL_SIZE)));
    const totalMs = performance.now() - start;
    return {
      node: process.version,
      cpus: threads,
      wasmAvailable,
      msPerEigenproblem: perSize,
      pool: {
        threads,
        problems: POOL_PROBLEMS,
        n: POOL_SIZE,
        totalMs: round(totalMs),
        msPerProblem: round(totalMs / POOL_PROBLEMS),
        problemsPerSecond: round((1000 * POOL_PROBLEMS) / totalMs),
      },
    };
  } finally {
    await pool.close();
  }
}

if (require.main === module) {
  runEigenBenchmark().then(
    (result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
