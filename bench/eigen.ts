/**
 * Timings of the symmetric eigensolver: ms per eigenproblem for the WASM and the JS reduction
 * kernels at the sizes a sweep meets, the throughput of the worker pool on 16 problems of the
 * largest size, and the cold-process cost of a sweep's eigenproblems (fresh `node` processes
 * that each solve them once, as `emishift sweep` does). Run with `node dist/bench/eigen.js`
 * (prints JSON); `--cold-only` skips the warm timings and the pool.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { isWasmAvailable, symmetricEigenvalues, type EigenBackend } from '../src/linalg/symmetricEigenvalues';
import { createRng } from '../src/random';
import { median } from './median';

const SIZES = [180, 500, 768];
const POOL_PROBLEMS = 16;
const POOL_SIZE = 768;

/** What one `emishift sweep` at n = 90 solves: [size, count], in this order. */
const COLD_PROBLEMS: [number, number][] = [
  [90, 48],
  [180, 45],
];
const COLD_PROCESSES = 5;
const COLD_CHILD_FLAG = '--cold-child';
/** Unit-norm embedding rows the cold problems' Gram matrices are drawn from. */
const EMBEDDING_ROWS = 400;
const EMBEDDING_DIM = 768;

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

/**
 * Gram matrices of random subsets of unit-norm 768-d rows, which is what a sweep feeds the
 * solver. A principal submatrix of one large Gram matrix is the Gram matrix of the chosen rows,
 * so every problem is distinct while the set costs one O(rows² · dim) product to build.
 */
function gramProblems(seed: number): { n: number; matrix: Float64Array }[] {
  const rng = createRng(seed);
  const x = new Float64Array(EMBEDDING_ROWS * EMBEDDING_DIM);
  for (let r = 0; r < EMBEDDING_ROWS; r++) {
    const offset = r * EMBEDDING_DIM;
    let norm = 0;
    for (let k = 0; k < EMBEDDING_DIM; k++) {
      const value = rng.normal();
      x[offset + k] = value;
      norm += value * value;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let k = 0; k < EMBEDDING_DIM; k++) x[offset + k] *= scale;
  }
  const gram = new Float64Array(EMBEDDING_ROWS * EMBEDDING_ROWS);
  for (let i = 0; i < EMBEDDING_ROWS; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let k = 0; k < EMBEDDING_DIM; k++) sum += x[i * EMBEDDING_DIM + k] * x[j * EMBEDDING_DIM + k];
      gram[i * EMBEDDING_ROWS + j] = sum;
      gram[j * EMBEDDING_ROWS + i] = sum;
    }
  }
  const order = Array.from({ length: EMBEDDING_ROWS }, (_, i) => i);
  const problems: { n: number; matrix: Float64Array }[] = [];
  for (const [n, count] of COLD_PROBLEMS) {
    for (let c = 0; c < count; c++) {
      // Partial Fisher–Yates: the first n entries of `order` become a uniform random subset.
      for (let i = 0; i < n; i++) {
        const pick = i + rng.int(EMBEDDING_ROWS - i);
        [order[i], order[pick]] = [order[pick], order[i]];
      }
      const matrix = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) matrix[i * n + j] = gram[order[i] * EMBEDDING_ROWS + order[j]];
      }
      problems.push({ n, matrix });
    }
  }
  return problems;
}

/**
 * Body of one cold process: builds the problems (untimed), then solves each once, timing the
 * whole batch and the first call (which also instantiates the WASM module).
 */
function coldChild(): void {
  const problems = gramProblems(42);
  const start = performance.now();
  let firstMs = 0;
  let checksum = 0;
  for (const { n, matrix } of problems) {
    const values = symmetricEigenvalues(matrix, n);
    if (firstMs === 0) firstMs = performance.now() - start;
    checksum += values[n - 1];
  }
  const totalMs = performance.now() - start;
  process.stdout.write(`${JSON.stringify({ totalMs, firstMs, checksum })}\n`);
}

function runColdChild(): Promise<{ totalMs: number; firstMs: number; checksum: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, COLD_CHILD_FLAG], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`cold eigen process exited ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

/** Median over fresh processes of the time to solve a sweep's eigenproblems once each. */
async function runColdBenchmark(): Promise<object> {
  const runs = [];
  // One after another: concurrent processes would compete for the machine's cores.
  for (let r = 0; r < COLD_PROCESSES; r++) runs.push(await runColdChild());
  return {
    problems: COLD_PROBLEMS.map(([n, count]) => `${count} × n=${n}`).join(', '),
    processes: COLD_PROCESSES,
    totalMsMedian: round(median(runs.map((run) => run.totalMs))),
    totalMsRuns: runs.map((run) => round(run.totalMs)),
    firstCallMsMedian: round(median(runs.map((run) => run.firstMs))),
  };
}

export async function runEigenBenchmark(options: { coldOnly?: boolean } = {}): Promise<object> {
  const cold = await runColdBenchmark();
  if (options.coldOnly) return { node: process.version, cold };
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
  // Loaded here so that the cold child processes, which run this file too, do not pay for it.
  const { createEigenPool } = await import('../src/linalg/eigenWorkerPool');
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
      cold,
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

if (require.main === module && process.argv.includes(COLD_CHILD_FLAG)) {
  coldChild();
} else if (require.main === module) {
  runEigenBenchmark({ coldOnly: process.argv.includes('--cold-only') }).then(
    (result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
