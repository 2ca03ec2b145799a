/**
 * Full spectrum of a dense real symmetric matrix: Householder reduction to tridiagonal form
 * (no eigenvectors are accumulated), then implicit QL with Wilkinson shifts on the tridiagonal.
 *
 * Where WebAssembly SIMD is available the whole solve runs in kernels.wat: the input check,
 * scaling, packing, the reduction (its O(n³) hot loop in SIMD) and the QL. A one-shot CLI process
 * solves its few dozen small problems before V8 has optimised any JavaScript, so JS glue there
 * would run interpreted; this side only copies the matrix in, and sorts the spectrum it reads
 * back. Otherwise the plain-JS path below runs the same algorithm on the same packed layout, so it
 * doubles as a reference for testing the WASM one.
 */
import { InputError } from '../errors';
import { WASM_MATRIX_BYTES, wasmKernels, type WasmKernels } from './wasmKernels';

/** Which implementation to use: 'auto' prefers WASM and falls back to JS. */
export type EigenBackend = 'auto' | 'wasm' | 'js';

/**
 * All eigenvalues, ascending, of the symmetric n×n matrix stored row-major in `matrix` (only the
 * lower triangle need be valid). Does not modify `matrix`.
 *
 * `backend` picks the implementation; 'wasm' and 'js' exist to cross-check and benchmark the
 * two, and 'wasm' throws where WebAssembly SIMD is unavailable. Throws InputError for a wrong
 * length, a non-integer n or a non-finite entry in the lower triangle.
 */
export function symmetricEigenvalues(matrix: Float64Array, n: number, backend: EigenBackend = 'auto'): Float64Array {
  checkSquare(matrix, n);
  const wasm = wasmFor(n, backend);
  return wasm ? wasm.solveWritten(n, (input) => input.set(matrix)) : spectrum(matrix, n, jsWorkspace);
}

/**
 * `symmetricEigenvalues` of the n × n matrix that `write` lays out, row-major, in the array of
 * n² values it is handed: only the lower triangle (row i, columns 0…i) need be written, the rest
 * may hold anything. On the WebAssembly path that array is the kernel's own memory, so a caller
 * that assembles its matrix (a mixture's blocks, say) allocates and copies none; a fresh matrix
 * costs page faults that took longer than the copying. `write` must not solve eigenproblems itself.
 */
export function symmetricEigenvaluesOfWritten(n: number, write: (matrix: Float64Array) => void, backend: EigenBackend = 'auto'): Float64Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new InputError(`matrix size must be a non-negative integer, got ${n}`, { field: 'n' });
  const wasm = wasmFor(n, backend);
  if (wasm) return wasm.solveWritten(n, write);
  const matrix = new Float64Array(n * n);
  write(matrix);
  return spectrum(matrix, n, jsWorkspace);
}

/**
 * The WASM solver with room for an n × n problem, or undefined when the JS path is to run: asked
 * for, or 'auto' without WASM SIMD or room. Asked for 'wasm' that cannot be had, throws.
 */
function wasmFor(n: number, backend: EigenBackend): WasmSolver | undefined {
  if (backend === 'js') return undefined;
  const wasm = wasmSolver();
  if (wasm === undefined) {
    if (backend === 'wasm') throw new Error('WebAssembly SIMD is not available in this runtime');
    return undefined;
  }
  if (wasm.reserve(n)) return wasm;
  if (backend === 'wasm') throw new Error(`WebAssembly memory cannot hold a ${n}×${n} matrix`);
  return undefined;
}

/** True when the WebAssembly SIMD kernel can be instantiated in this runtime. */
export function isWasmAvailable(): boolean {
  return wasmSolver() !== undefined;
}

/**
 * Eigenvalues, ascending, of the symmetric tridiagonal matrix with the given diagonal (length n)
 * and off-diagonal (length n − 1; offDiagonal[k] couples k and k + 1). Inputs are not modified.
 */
export function tridiagonalEigenvalues(
  diagonal: ArrayLike<number>,
  offDiagonal: ArrayLike<number>,
): Float64Array {
  const n = diagonal.length;
  if (offDiagonal.length !== Math.max(n - 1, 0)) {
    throw new InputError(`off-diagonal has ${offDiagonal.length} values, expected ${Math.max(n - 1, 0)}`, {
      field: 'offDiagonal',
    });
  }
  let maxAbs = 0;
  for (let i = 0; i < n; i++) maxAbs = Math.max(maxAbs, finiteAbs(diagonal[i], 'diagonal', i));
  for (let i = 0; i < n - 1; i++) maxAbs = Math.max(maxAbs, finiteAbs(offDiagonal[i], 'offDiagonal', i));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (maxAbs === 0) return d;
  const exponent = scaleExponent(maxAbs);
  const scale = 2 ** -exponent;
  for (let i = 0; i < n; i++) d[i] = diagonal[i] * scale;
  for (let i = 0; i < n - 1; i++) e[i] = offDiagonal[i] * scale;
  implicitQl(d, e);
  return unscaleAndSort(d, exponent);
}

// ---------------------------------------------------------------------------------------------
// Input checks and scaling

function checkSquare(matrix: Float64Array, n: number): void {
  if (!(matrix instanceof Float64Array)) throw new InputError('matrix must be a Float64Array', { field: 'matrix' });
  if (!Number.isSafeInteger(n) || n < 0) throw new InputError(`matrix size must be a non-negative integer, got ${n}`, { field: 'n' });
  if (matrix.length !== n * n) {
    throw new InputError(`matrix has ${matrix.length} values, expected ${n} × ${n} = ${n * n}`, { field: 'matrix' });
  }
}

function nonFiniteEntry(matrix: Float64Array, n: number, row: number, column: number): InputError {
  return new InputError(`matrix entry (${row}, ${column}) is ${matrix[row * n + column]}`, { field: 'matrix' });
}

function finiteAbs(value: number, field: string, index: number): number {
  if (!Number.isFinite(value)) throw new InputError(`value ${value} at index ${index} is not finite`, { field });
  return Math.abs(value);
}

/**
 * Power-of-two exponent that brings the largest entry to [0.5, 1). Scaling by a power of two is
 * exact, and keeps the sums of squares in the Householder norms and Givens rotations far from
 * overflow and underflow whatever the units of the input. (kernels.wat reads the same exponent
 * off the bits of maxAbs.)
 */
function scaleExponent(maxAbs: number): number {
  // Clamped so that 2^-exponent itself stays a normal, finite double.
  return Math.min(1000, Math.max(-1000, Math.floor(Math.log2(maxAbs)) + 1));
}

function unscaleAndSort(values: Float64Array, exponent: number): Float64Array {
  const scale = 2 ** exponent;
  for (let i = 0; i < values.length; i++) values[i] *= scale;
  return values.sort();
}

// ---------------------------------------------------------------------------------------------
// Plain-JS path: Householder tridiagonalisation on a packed lower triangle

/**
 * Offset (in doubles) of row j in the packed triangle, where row r holds r + 1 values padded to
 * an even count: Σ_{r<j} 2⌊r/2⌋ + 2 = 2⌊j/2⌋⌊(j−1)/2⌋ + 2j. The padding keeps every row 16-byte
 * aligned for the SIMD kernel; the JS path keeps kernels.wat's layout so that the two stay
 * comparable step for step.
 */
function rowStart(j: number): number {
  return 2 * (j >> 1) * ((j - 1) >> 1) + 2 * j;
}

function spectrum(matrix: Float64Array, n: number, workspace: JsWorkspace): Float64Array {
  const d = new Float64Array(n);
  if (n === 0) return d;

  // Scan the lower triangle first: it fixes the scale and rejects non-finite input before any
  // work is done. The upper triangle is never read.
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const rowOffset = i * n;
    for (let k = 0; k <= i; k++) {
      const value = matrix[rowOffset + k];
      if (!Number.isFinite(value)) throw nonFiniteEntry(matrix, n, i, k);
      const magnitude = Math.abs(value);
      if (magnitude > maxAbs) maxAbs = magnitude;
    }
  }
  if (maxAbs === 0) return d;
  const exponent = scaleExponent(maxAbs);
  const scale = 2 ** -exponent;

  const mem = workspace.prepare(n);
  const { vOld, qOld, vNew, p, a } = workspace;
  for (let i = 0; i < n; i++) {
    const source = i * n;
    const target = a + rowStart(i);
    for (let k = 0; k <= i; k++) mem[target + k] = matrix[source + k] * scale;
    // The pad slot is never read as data, but keep it finite so nothing odd lingers there.
    if ((i & 1) === 0) mem[target + i + 1] = 0;
  }
  // No update is pending before the first step; a zero update keeps the kernel branch-free.
  mem.fill(0, vOld, vOld + n);
  mem.fill(0, qOld, qOld + n);

  // e[k] couples k and k + 1 (e[n − 1] is scratch for the QL iteration).
  const e = new Float64Array(n);

  // Reduce rows from the bottom up: row i's part left of the diagonal is contiguous, and the
  // block it leaves behind is the leading i×i one, which is also contiguous in the packed layout.
  for (let i = n - 1; i >= 1; i--) {
    const row = a + rowStart(i);
    // Row i is the last row of the block the previous step's (pending) update applies to.
    const vi = mem[vOld + i];
    const qi = mem[qOld + i];
    for (let k = 0; k <= i; k++) mem[row + k] -= vi * mem[qOld + k] + qi * mem[vOld + k];
    d[i] = mem[row + i];
    if (i === 1) {
      e[0] = mem[row];
      break;
    }

    // Reflector P = I − u uᵀ mapping x = row[0..i−1] onto a multiple of the last unit vector.
    const alpha = mem[row + i - 1];
    let tailSquares = 0;
    for (let k = 0; k < i - 1; k++) tailSquares += mem[row + k] * mem[row + k];
    if (tailSquares === 0) {
      // Already tridiagonal in this row: P = I, and a zero u makes the fused pass apply only the
      // pending update.
      e[i - 1] = alpha;
      mem.fill(0, vNew, vNew + i);
    } else {
      const sigma = Math.sqrt(tailSquares + alpha * alpha);
      // Opposite sign to alpha so that alpha − g does not cancel.
      const g = alpha >= 0 ? -sigma : sigma;
      e[i - 1] = g;
      // With v = x − g e_last, vᵀv = 2h; u = v / √h then gives P = I − u uᵀ.
      const h = sigma * sigma - alpha * g;
      const inverseRoot = 1 / Math.sqrt(h);
      for (let k = 0; k < i - 1; k++) mem[vNew + k] = mem[row + k] * inverseRoot;
      mem[vNew + i - 1] = (alpha - g) * inverseRoot;
    }

    workspace.reduceStep(i);

    // P B P = B − u qᵀ − q uᵀ with p = B u and q = p − (uᵀp / 2) u.
    let uDotP = 0;
    for (let k = 0; k < i; k++) uDotP += mem[vNew + k] * mem[p + k];
    const half = uDotP / 2;
    for (let k = 0; k < i; k++) {
      const u = mem[vNew + k];
      mem[vOld + k] = u;
      mem[qOld + k] = mem[p + k] - half * u;
    }
  }
  // Row 0 still carries the last pending update (when n ≥ 2).
  d[0] = mem[a] - 2 * mem[vOld] * mem[qOld];

  implicitQl(d, e);
  return unscaleAndSort(d, exponent);
}

/** The work vectors and the packed triangle, in one array; offsets are in doubles. */
class JsWorkspace {
  private mem = new Float64Array(0);
  vOld = 0;
  qOld = 0;
  vNew = 0;
  p = 0;
  a = 0;

  prepare(n: number): Float64Array {
    const slot = n + (n & 1);
    const needed = 4 * slot + rowStart(n);
    if (this.mem.length < needed) this.mem = new Float64Array(needed);
    this.vOld = 0;
    this.qOld = slot;
    this.vNew = 2 * slot;
    this.p = 3 * slot;
    this.a = 4 * slot;
    return this.mem;
  }

  /**
   * For rows 0..rows-1: apply the pending update B -= vOld qOldᵀ + qOld vOldᵀ to the row, then
   * add the row's share of p = B vNew. Writes p[0..rows-1].
   *
   * Same pairing of rows (j even, j + 1) as the WASM kernel: both rows share the loads of the
   * work vectors and one read-modify-write of p, which makes this about 1.5× faster than one row
   * at a time.
   */
  reduceStep(rows: number): void {
    const mem = this.mem;
    const { vOld, qOld, vNew, p } = this;
    let row0 = this.a;
    let j = 0;
    for (; j + 1 < rows; j += 2) {
      const row1 = row0 + j + 2;
      const v0 = mem[vOld + j];
      const q0 = mem[qOld + j];
      const u0 = mem[vNew + j];
      const v1 = mem[vOld + j + 1];
      const q1 = mem[qOld + j + 1];
      const u1 = mem[vNew + j + 1];
      let dot0 = 0;
      let dot1 = 0;
      for (let k = 0; k < j; k++) {
        const q = mem[qOld + k];
        const v = mem[vOld + k];
        const u = mem[vNew + k];
        const x0 = mem[row0 + k] - (v0 * q + q0 * v);
        const x1 = mem[row1 + k] - (v1 * q + q1 * v);
        mem[row0 + k] = x0;
        mem[row1 + k] = x1;
        dot0 += x0 * u;
        dot1 += x1 * u;
        mem[p + k] += u0 * x0 + u1 * x1;
      }
      // Row j + 1 at column j, then both diagonals; column j's vector entries are row j's own.
      const x = mem[row1 + j] - (v1 * q0 + q1 * v0);
      mem[row1 + j] = x;
      const diagonal0 = mem[row0 + j] - (v0 * q0 + q0 * v0);
      const diagonal1 = mem[row1 + j + 1] - (v1 * q1 + q1 * v1);
      mem[row0 + j] = diagonal0;
      mem[row1 + j + 1] = diagonal1;
      mem[p + j] = dot0 + diagonal0 * u0 + u1 * x;
      mem[p + j + 1] = dot1 + x * u0 + diagonal1 * u1;
      row0 = row1 + j + 2;
    }
    if (j < rows) {
      const v0 = mem[vOld + j];
      const q0 = mem[qOld + j];
      const u0 = mem[vNew + j];
      let dot0 = 0;
      for (let k = 0; k < j; k++) {
        const x0 = mem[row0 + k] - (v0 * mem[qOld + k] + q0 * mem[vOld + k]);
        mem[row0 + k] = x0;
        dot0 += x0 * mem[vNew + k];
        mem[p + k] += u0 * x0;
      }
      const diagonal0 = mem[row0 + j] - (v0 * q0 + q0 * v0);
      mem[row0 + j] = diagonal0;
      mem[p + j] = dot0 + diagonal0 * u0;
    }
  }
}

const jsWorkspace = new JsWorkspace();

// ---------------------------------------------------------------------------------------------
// WebAssembly path

/** Byte offsets fixed by kernels.wat. */
const WASM_SLOT_BYTES = 0x40000;
const WASM_D_BYTES = 0x100000;
const WASM_PAGE_BYTES = 0x10000;
const WASM_MAX_PAGES = 0x10000;

/** Return codes of the module's eigenvalues(). */
const WASM_OK = 0;
const WASM_NON_FINITE = 1;
const WASM_NO_CONVERGENCE = 2;

class WasmSolver {
  private view: Float64Array;

  constructor(private readonly kernels: WasmKernels) {
    this.view = new Float64Array(kernels.memory.buffer);
  }

  /** Grows the memory to fit an n×n problem; false when it cannot (too large for wasm32). */
  reserve(n: number): boolean {
    if (n > WASM_SLOT_BYTES / 8) return false;
    // The input goes in whole and is packed in place; for n = 1 the packed row's pad slot is the
    // larger of the two.
    const needed = WASM_MATRIX_BYTES + Math.max(n * n, rowStart(n)) * 8;
    const have = this.kernels.memory.buffer.byteLength;
    if (needed <= have) return true;
    const pages = Math.ceil((needed - have) / WASM_PAGE_BYTES);
    if (have / WASM_PAGE_BYTES + pages > WASM_MAX_PAGES) return false;
    try {
      this.kernels.memory.grow(pages);
    } catch {
      return false;
    }
    return true;
  }

  /** The spectrum of the problem `write` puts in place (see symmetricEigenvaluesOfWritten), once reserve() has made room for it. */
  solveWritten(n: number, write: (matrix: Float64Array) => void): Float64Array {
    if (n === 0) return new Float64Array(0);
    // Growing detaches the old ArrayBuffer, so the view is refreshed whenever it changed.
    if (this.view.buffer !== this.kernels.memory.buffer) this.view = new Float64Array(this.kernels.memory.buffer);
    const input = this.view.subarray(WASM_MATRIX_BYTES / 8, WASM_MATRIX_BYTES / 8 + n * n);
    write(input);
    const status = this.kernels.eigenvalues(n, MAX_SWEEPS_PER_EIGENVALUE);
    // The kernel checks the lower triangle before it packs it, so the input is still intact here.
    if (status === WASM_NON_FINITE) throw firstNonFiniteEntry(input, n);
    if (status === WASM_NO_CONVERGENCE) throw notConverged(this.kernels.failedAt.value, n);
    if (status !== WASM_OK) throw new Error(`the WebAssembly eigensolver returned unknown status ${status}`);
    const d = WASM_D_BYTES / 8;
    return this.view.slice(d, d + n).sort();
  }
}

/** The error for the first non-finite lower-triangle entry, in row-major order. */
function firstNonFiniteEntry(matrix: Float64Array, n: number): InputError {
  for (let i = 0; i < n; i++) {
    for (let k = 0; k <= i; k++) {
      if (!Number.isFinite(matrix[i * n + k])) return nonFiniteEntry(matrix, n, i, k);
    }
  }
  // Unreachable unless the caller changed the matrix while it was being solved.
  return new InputError('matrix has a non-finite entry in its lower triangle', { field: 'matrix' });
}

/** One solver per thread, over the thread's kernels; null where they are unavailable. */
let wasmInstance: WasmSolver | null | undefined;

function wasmSolver(): WasmSolver | undefined {
  if (wasmInstance === undefined) {
    const kernels = wasmKernels();
    wasmInstance = kernels ? new WasmSolver(kernels) : null;
  }
  return wasmInstance ?? undefined;
}

// ---------------------------------------------------------------------------------------------
// Implicit QL on the tridiagonal

const EPSILON = 2 ** -52;
/** Couplings below this are negligible against any scaled matrix and only slow convergence. */
const NEGLIGIBLE = 2 ** -1000;
const MAX_SWEEPS_PER_EIGENVALUE = 60;

function notConverged(index: number, n: number): Error {
  return new Error(`tridiagonal QL did not converge for eigenvalue ${index} of ${n}`);
}

/** √(1 + g²) without overflowing for huge g. */
function hypotOne(g: number): number {
  const magnitude = Math.abs(g);
  return magnitude > 1e150 ? magnitude : Math.sqrt(1 + g * g);
}

/**
 * Eigenvalues of the symmetric tridiagonal (d, e), overwriting d (unsorted); e[k] couples k and
 * k + 1 and is destroyed. Expects entries of modest size (the callers scale to max |entry| < 1),
 * so the rotation lengths can be plain square roots. kernels.wat's implicitQl runs the same
 * iteration (shift, deflation test, sweep limit) with the bulge chase rearranged to shorten its
 * dependency chain; keep the two in step, as the tests compare them.
 */
function implicitQl(d: Float64Array, e: Float64Array): void {
  const n = d.length;
  if (n > 0) e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let sweeps = 0;
    for (;;) {
      // Split off the unreduced block d[l..m]: a coupling negligible against its two diagonal
      // neighbours cannot move either eigenvalue beyond rounding.
      let m = l;
      while (m < n - 1) {
        const coupling = Math.abs(e[m]);
        if (coupling <= EPSILON * (Math.abs(d[m]) + Math.abs(d[m + 1])) || coupling < NEGLIGIBLE) break;
        m++;
      }
      if (m === l) break;
      if (++sweeps > MAX_SWEEPS_PER_EIGENVALUE) {
        throw notConverged(l, n);
      }

      // Wilkinson shift: the eigenvalue of the leading 2×2 block nearer to d[l]. Only its
      // difference from d[m] is needed to start the bulge.
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = hypotOne(g);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));

      // Chase the bulge from the bottom of the block to the top with Givens rotations; p
      // accumulates how far the rotations have moved the diagonal.
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.sqrt(f * f + g * g);
        e[i + 1] = r;
        if (r === 0) {
          // The rotation degenerated: the block has split at i + 1. Undo the partial shift
          // there and restart on the smaller block.
          d[i + 1] -= p;
          e[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (i >= l) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}
