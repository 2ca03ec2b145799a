/**
 * AᵀA and A Bᵀ in ONNX Runtime's multi-threaded SGEMM. Inputs are rounded to float32 (embeddings
 * are float32 to begin with) and products accumulate in float32; results are widened to float64
 * for the eigen/determinant code downstream.
 *
 * One session per product kind and thread count serves every shape: all dimensions are symbolic.
 */
import { InputError } from '../../errors';
import type { Matrix } from '../../interface';
import { GraphBuilder } from './modelBuilder';
import { createSession, floatTensor, resolveThreadCount, toFloat32, type OrtSession } from './runtime';

export interface GramOptions {
  /** Intra-op threads; defaults to `os.availableParallelism()`. */
  threads?: number | undefined;
}

type Kind = 'cross' | 'outer';

const sessions = new Map<string, Promise<OrtSession>>();

function buildModel(kind: Kind): Uint8Array {
  const g = new GraphBuilder(`${kind}_product`);
  if (kind === 'cross') {
    const a = g.input('a', 'float32', ['n', 'd']);
    // transA lets SGEMM read A column-wise during packing instead of materialising Aᵀ.
    g.op('Gemm', [a, a], { transA: 1 }, 'product');
    g.output('product', 'float32', ['d', 'd']);
  } else {
    const a = g.input('a', 'float32', ['n', 'd']);
    const b = g.input('b', 'float32', ['m', 'd']);
    g.op('Gemm', [a, b], { transB: 1 }, 'product');
    g.output('product', 'float32', ['n', 'm']);
  }
  return g.toModel();
}

function session(kind: Kind, threads: number): Promise<OrtSession> {
  const key = `${kind}/${threads}`;
  let cached = sessions.get(key);
  if (cached === undefined) {
    cached = createSession(buildModel(kind), { threads });
    // A failed creation must not poison the cache (e.g. a transient resource error).
    cached.catch(() => sessions.delete(key));
    sessions.set(key, cached);
  }
  return cached;
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
  const s = await session('cross', resolveThreadCount(options.threads));
  const { product } = await s.run({ a: floatTensor(data, [a.rows, d]) });
  const values = product.data as Float32Array;
  const out = new Float64Array(d * d);
  // SGEMM's blocking accumulates (i, j) and (j, i) in different orders, so the float32 result is
  // symmetric only to rounding; eigen solvers downstream expect exact symmetry, and the mean of
  // the two is no worse an estimate than either.
  for (let i = 0; i < d; i++) {
    out[i * d + i] = values[i * d + i];
    for (let j = 0; j < i; j++) {
      const mean = 0.5 * (values[i * d + j] + values[j * d + i]);
      out[i * d + j] = mean;
      out[j * d + i] = mean;
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
  const s = await session('outer', resolveThreadCount(options.threads));
  const aTensor = floatTensor(aData, [n, a.cols]);
  const bTensor = b === undefined ? aTensor : floatTensor(bData, [m, a.cols]);
  const { product } = await s.run({ a: aTensor, b: bTensor });
  const values = product.data as Float32Array;
  const out = Float64Array.from(values);
  if (b === undefined) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const mean = 0.5 * (values[i * n + j] + values[j * n + i]);
        out[i * n + j] = mean;
        out[j * n + i] = mean;
      }
    }
  }
  return out;
}
