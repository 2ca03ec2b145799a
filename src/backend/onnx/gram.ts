/**
 * AᵀA and A Bᵀ in ONNX Runtime's multi-threaded SGEMM. Inputs are rounded to float32 (embeddings
 * are float32 to begin with) and products accumulate in float32; results are widened to float64
 * for the eigen/determinant code downstream. A Bᵀ and A Aᵀ are widened (and A Aᵀ symmetrized) in
 * the graph, on the engine thread, so that the caller's thread only receives them; AᵀA, a d × d
 * product whose symmetrizing in the graph would cost the engine more than it saves the caller, is
 * symmetrized here.
 *
 * One session per product kind and thread count serves every shape: all dimensions are symbolic.
 * The sessions run on the engine thread (sessionHost), so a product never blocks the caller.
 */
import { InputError } from '../../errors';
import type { Matrix } from '../../interface';
import { GraphBuilder } from './modelBuilder';
import { toFloat32 } from './runtime';
import { createHostedSession, defaultHostedThreads, type FloatFeed, type HostedSession } from './sessionHost';

export interface GramOptions {
  /** Intra-op threads; defaults to one fewer than the cores (see sessionHost). */
  threads?: number | undefined;
}

/** AᵀA (float32 out), A Bᵀ (widened) and A Aᵀ (widened and symmetrized). */
type Kind = 'cross' | 'outer' | 'gram';

const sessions = new Map<string, HostedSession<Float32Array | Float64Array>>();

function buildModel(kind: Kind): Uint8Array {
  const g = new GraphBuilder(`${kind}_product`);
  const a = g.input('a', 'float32', ['n', 'd']);
  if (kind === 'cross') {
    // transA lets SGEMM read A column-wise during packing instead of materialising Aᵀ.
    g.op('Gemm', [a, a], { transA: 1 }, 'product');
    g.output('product', 'float32', ['d', 'd']);
  } else if (kind === 'outer') {
    const b = g.input('b', 'float32', ['m', 'd']);
    g.op('Cast', [g.op('Gemm', [a, b], { transB: 1 })], { to: DOUBLE }, 'product');
    g.output('product', 'float64', ['n', 'm']);
  } else {
    // (P + Pᵀ) / 2 in float64 from the float32 P: the numbers `symmetrized` computes (widening is
    // exact, the sum is the same IEEE addition, halving is exact), on the engine thread.
    const wide = g.op('Cast', [g.op('Gemm', [a, a], { transB: 1 })], { to: DOUBLE });
    g.op('Mul', [g.op('Add', [wide, g.op('Transpose', [wide])]), g.float64Constant(0.5)], {}, 'product');
    g.output('product', 'float64', ['n', 'n']);
  }
  return g.toModel();
}

/** TensorProto.DataType of float64, for Cast. */
const DOUBLE = 11;

/** Runs a product on its kind's session for that thread count (made on first use); a failed session is dropped so that the next call builds it again. */
async function runProduct(kind: 'cross', threads: number | undefined, feeds: Record<string, FloatFeed>): Promise<Float32Array>;
async function runProduct(kind: 'outer' | 'gram', threads: number | undefined, feeds: Record<string, FloatFeed>): Promise<Float64Array>;
async function runProduct(kind: Kind, threads: number | undefined, feeds: Record<string, FloatFeed>): Promise<Float32Array | Float64Array> {
  const count = threads ?? defaultHostedThreads();
  const key = `${kind}/${count}`;
  let hosted = sessions.get(key);
  if (hosted === undefined) {
    // Urgent: eigenproblems on other threads wait for these products, estimates can come later.
    hosted = createHostedSession<Float32Array | Float64Array>(buildModel(kind), { threads: count, urgent: true });
    sessions.set(key, hosted);
  }
  try {
    return (await hosted.run(feeds)).product;
  } catch (error) {
    if (sessions.get(key) === hosted) sessions.delete(key);
    throw error;
  }
}

function float32Data(m: Matrix, what: string): Float32Array {
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 0 || m.cols < 0) {
    throw new InputError(`${what} has invalid shape ${m.rows} × ${m.cols}`);
  }
  const size = m.rows * m.cols;
  if (m.data.length < size) throw new InputError(`${what} is ${m.rows} × ${m.cols} but holds only ${m.data.length} values`);
  return toFloat32(m.data.length === size ? m.data : m.data.subarray(0, size));
}

/** AᵀA (cols × cols, row-major), exactly symmetric. */
export async function crossProduct(a: Matrix, options: GramOptions = {}): Promise<Float64Array> {
  const data = float32Data(a, 'matrix');
  const d = a.cols;
  if (a.rows === 0 || d === 0) return new Float64Array(d * d);
  const values = await runProduct('cross', options.threads, { a: { data, dims: [a.rows, d] } });
  return symmetrized(values, d);
}

/** Blocks of this many rows and columns keep both the row and the column walk in cache. */
const BLOCK = 32;

/**
 * SGEMM's blocking accumulates (i, j) and (j, i) in different orders, so the float32 result is
 * symmetric only to rounding; eigen solvers downstream expect exact symmetry, and the mean of
 * the two is no worse an estimate than either. Walked in square blocks: the transposed reads of
 * a plain row-by-row loop miss the cache on every element once d is in the hundreds.
 */
function symmetrized(values: Float32Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let ib = 0; ib < d; ib += BLOCK) {
    const iEnd = Math.min(ib + BLOCK, d);
    for (let jb = 0; jb <= ib; jb += BLOCK) {
      const jEnd = Math.min(jb + BLOCK, d);
      for (let i = ib; i < iEnd; i++) {
        const rowI = i * d;
        const jStop = Math.min(jEnd, i);
        for (let j = jb; j < jStop; j++) {
          const mean = 0.5 * (values[rowI + j] + values[j * d + i]);
          out[rowI + j] = mean;
          out[j * d + i] = mean;
        }
        if (i >= jb && i < jEnd) out[rowI + i] = values[rowI + i];
      }
    }
  }
  return out;
}

/** A Bᵀ (a.rows × b.rows, row-major); A Aᵀ when `b` is omitted (then exactly symmetric). */
export async function outerProduct(a: Matrix, b?: Matrix, options: GramOptions = {}): Promise<Float64Array> {
  const other = b ?? a;
  if (other.cols !== a.cols) throw new InputError(`cannot multiply ${a.rows} × ${a.cols} by the transpose of ${other.rows} × ${other.cols}`);
  const aData = float32Data(a, 'first matrix');
  const bData = b === undefined ? aData : float32Data(b, 'second matrix');
  const n = a.rows;
  const m = other.rows;
  if (n === 0 || m === 0 || a.cols === 0) return new Float64Array(n * m);
  if (b === undefined) return runProduct('gram', options.threads, { a: { data: aData, dims: [n, a.cols] } });
  return runProduct('outer', options.threads, { a: { data: aData, dims: [n, a.cols] }, b: { data: bData, dims: [m, a.cols] } });
}
