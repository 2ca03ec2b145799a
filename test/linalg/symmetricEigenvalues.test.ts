import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors';
import {
  isWasmAvailable,
  symmetricEigenvalues,
  symmetricEigenvaluesOfWritten,
  tridiagonalEigenvalues,
  type EigenBackend,
} from '../../src/linalg/symmetricEigenvalues';
import { createRng, type RandomSource } from '../../src/random';

const BACKENDS: EigenBackend[] = ['wasm', 'js'];

function ascending(values: number[]): number[] {
  return values.slice().sort((a, b) => a - b);
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}

/** Asserts |actual − expected| ≤ tolerance × max |expected| elementwise. */
function assertSpectrum(actual: Float64Array, expected: ArrayLike<number>, tolerance: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  const reference = Math.max(maxAbs(expected), Number.MIN_VALUE);
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]) / reference;
    assert.ok(error <= tolerance, `${label}: eigenvalue ${i} is ${actual[i]}, expected ${expected[i]} (relative error ${error})`);
  }
}

function symmetricFromLower(n: number, entry: (i: number, j: number) => number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const value = entry(i, j);
      a[i * n + j] = value;
      a[j * n + i] = value;
    }
  }
  return a;
}

function randomSymmetric(n: number, rng: RandomSource): Float64Array {
  return symmetricFromLower(n, () => rng.normal());
}

/** XᵀX for X with `rows` rows and n columns of standard normals. */
function gram(rows: number, n: number, rng: RandomSource): { a: Float64Array; x: Float64Array } {
  const x = new Float64Array(rows * n);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const a = new Float64Array(n * n);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) {
      const xi = x[r * n + i];
      for (let j = 0; j < n; j++) a[i * n + j] += xi * x[r * n + j];
    }
  }
  return { a, x };
}

/** Q D Qᵀ with Q a product of n random Householder reflectors, applied as A ← H A H. */
function rotatedDiagonal(diagonal: number[], rng: RandomSource): Float64Array {
  const n = diagonal.length;
  const a = new Float64Array(n * n);
  diagonal.forEach((value, i) => (a[i * n + i] = value));
  const w = new Float64Array(n);
  const aw = new Float64Array(n);
  for (let reflector = 0; reflector < n; reflector++) {
    let norm = 0;
    for (let i = 0; i < n; i++) {
      w[i] = rng.normal();
      norm += w[i] * w[i];
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) w[i] /= norm;
    // H A H = A − 2 w (Aw)ᵀ − 2 (Aw) wᵀ + 4 (wᵀAw) w wᵀ for symmetric A and H = I − 2wwᵀ.
    let wAw = 0;
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += a[i * n + j] * w[j];
      aw[i] = sum;
      wAw += w[i] * sum;
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        a[i * n + j] += -2 * w[i] * aw[j] - 2 * aw[i] * w[j] + 4 * wAw * w[i] * w[j];
      }
    }
  }
  return a;
}

describe('symmetricEigenvalues: known spectra', () => {
  it('uses the WebAssembly kernel in this runtime', () => {
    assert.ok(isWasmAvailable(), 'the generated WASM module failed to instantiate (run scripts/build-wasm.js)');
  });

  for (const backend of BACKENDS) {
    it(`diagonal matrices (${backend})`, () => {
      for (const diagonal of [[5], [3, -1], [4, 4, 4, 1], [0, 7, -2, 7, 0, 3.5, 1e-3]]) {
        const n = diagonal.length;
        const a = new Float64Array(n * n);
        diagonal.forEach((value, i) => (a[i * n + i] = value));
        assertSpectrum(symmetricEigenvalues(a, n, backend), ascending(diagonal), 1e-15, `diag ${diagonal}`);
      }
    });

    it(`a 2×2 worked by hand (${backend})`, () => {
      // [[4, 1], [1, 3]]: λ² − 7λ + 11 = 0, so λ = (7 ± √5) / 2.
      const values = symmetricEigenvalues(new Float64Array([4, 1, 1, 3]), 2, backend);
      assertSpectrum(values, [(7 - Math.sqrt(5)) / 2, (7 + Math.sqrt(5)) / 2], 1e-15, '2×2');
    });

    it(`the second-difference matrix has eigenvalues 2 − 2cos(kπ/(n+1)) (${backend})`, () => {
      for (const n of [1, 2, 5, 16, 33, 120]) {
        const a = symmetricFromLower(n, (i, j) => (i === j ? 2 : i === j + 1 ? -1 : 0));
        const expected = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)));
        assertSpectrum(symmetricEigenvalues(a, n, backend), expected, 1e-12, `second difference n=${n}`);
      }
    });

    it(`a rank-5 Gram matrix XᵀX (X 5×40) has exactly 35 zero eigenvalues (${backend})`, () => {
      const { a, x } = gram(5, 40, createRng(11));
      const values = symmetricEigenvalues(a, 40, backend);
      let trace = 0;
      for (let i = 0; i < 40; i++) trace += a[i * 40 + i];
      const zeros = Array.from(values).filter((value) => Math.abs(value) <= 1e-10 * trace);
      assert.equal(zeros.length, 35);
      // The nonzero ones are the spectrum of the 5×5 X Xᵀ.
      const small = new Float64Array(25);
      for (let i = 0; i < 5; i++) {
        for (let j = 0; j < 5; j++) {
          let sum = 0;
          for (let k = 0; k < 40; k++) sum += x[i * 40 + k] * x[j * 40 + k];
          small[i * 5 + j] = sum;
        }
      }
      assertSpectrum(values.subarray(35), symmetricEigenvalues(small, 5, backend), 1e-12, 'nonzero part');
    });

    it(`Q D Qᵀ with a random orthogonal Q returns D (${backend})`, () => {
      const rng = createRng(2024);
      for (const n of [1, 2, 3, 17, 200]) {
        // A spread of magnitudes and signs, with a repeated value and exact zeros.
        const diagonal = Array.from({ length: n }, (_, i) =>
          i % 5 === 0 ? 0 : i % 7 === 3 ? 2.5 : (rng.next() - 0.2) * 10 ** (rng.int(6) - 3),
        );
        const a = rotatedDiagonal(diagonal, rng);
        assertSpectrum(symmetricEigenvalues(a, n, backend), ascending(diagonal), 1e-9, `QDQᵀ n=${n}`);
      }
    });
  }
});

describe('symmetricEigenvalues: invariants', () => {
  it('preserves trace and Frobenius norm of a random 300×300 PSD matrix', () => {
    const n = 300;
    const { a } = gram(320, n, createRng(5));
    const values = symmetricEigenvalues(a, n);
    let trace = 0;
    let frobenius = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i];
    for (const value of a) frobenius += value * value;
    let sum = 0;
    let sumSquares = 0;
    for (const value of values) {
      sum += value;
      sumSquares += value * value;
    }
    assert.ok(Math.abs(sum - trace) <= 1e-12 * trace, `Σλ = ${sum}, trace = ${trace}`);
    assert.ok(Math.abs(sumSquares - frobenius) <= 1e-12 * frobenius, `Σλ² = ${sumSquares}, ‖A‖² = ${frobenius}`);
    assert.ok(values[0] > 0, `smallest eigenvalue of a full-rank Gram matrix is ${values[0]}`);
    for (let i = 1; i < n; i++) assert.ok(values[i - 1] <= values[i], 'ascending order');
  });

  it('WASM and JS paths agree to 1e-10 and leave the input unchanged', () => {
    const rng = createRng(77);
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 31, 64, 151, 300]) {
      const a = randomSymmetric(n, rng);
      const before = a.slice();
      const wasm = symmetricEigenvalues(a, n, 'wasm');
      assert.deepEqual(a, before, `input modified by the WASM path (n=${n})`);
      const js = symmetricEigenvalues(a, n, 'js');
      assert.deepEqual(a, before, `input modified by the JS path (n=${n})`);
      assertSpectrum(wasm, js, 1e-10, `wasm vs js n=${n}`);
    }
  });

  it('reuses the WASM instance across sizes (memory growth keeps earlier results valid)', () => {
    const rng = createRng(3);
    const big = randomSymmetric(260, rng);
    const small = randomSymmetric(3, rng);
    const first = symmetricEigenvalues(big, 260, 'wasm');
    const tiny = symmetricEigenvalues(small, 3, 'wasm');
    assert.deepEqual(symmetricEigenvalues(big, 260, 'wasm'), first);
    assertSpectrum(tiny, symmetricEigenvalues(small, 3, 'js'), 1e-13, 'small after big');
  });

  it('reads only the lower triangle', () => {
    const n = 45;
    const a = randomSymmetric(n, createRng(8));
    const expected = BACKENDS.map((backend) => symmetricEigenvalues(a, n, backend));
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = Number.NaN;
    BACKENDS.forEach((backend, b) => assert.deepEqual(symmetricEigenvalues(a, n, backend), expected[b], backend));
  });

  it('is exact in scale: A·2⁶⁰⁰ and A·10⁻²⁰⁰ give scaled spectra without overflow or underflow', () => {
    const n = 20;
    const a = randomSymmetric(n, createRng(9));
    const base = symmetricEigenvalues(a, n);
    for (const factor of [2 ** 600, 1e-200]) {
      const scaled = symmetricEigenvalues(a.map((value) => value * factor), n);
      assertSpectrum(
        scaled,
        Array.from(base, (value) => value * factor),
        1e-13,
        `scaled by ${factor}`,
      );
    }
  });

  it('handles the empty and the zero matrix', () => {
    assert.deepEqual(symmetricEigenvalues(new Float64Array(0), 0), new Float64Array(0));
    assert.deepEqual(symmetricEigenvalues(new Float64Array(9), 3), new Float64Array(3));
  });

  it('rejects malformed input with an InputError', () => {
    assert.throws(() => symmetricEigenvalues(new Float64Array(5), 2), InputError);
    assert.throws(() => symmetricEigenvalues(new Float64Array(4), 1.5), InputError);
    const withNaN = new Float64Array([1, 0, Number.NaN, 1]);
    assert.throws(() => symmetricEigenvalues(withNaN, 2), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /\(1, 0\)/);
      return true;
    });
  });
});

describe('symmetricEigenvalues: edge cases on both paths', () => {
  it('names the first non-finite lower-triangle entry in row-major order and ignores the upper triangle', () => {
    const n = 7;
    const base = randomSymmetric(n, createRng(21));
    const cases: { set: [number, number, number][]; expected: string }[] = [
      { set: [[4, 2, Number.POSITIVE_INFINITY], [5, 0, Number.NaN]], expected: '(4, 2) is Infinity' },
      { set: [[6, 6, Number.NEGATIVE_INFINITY]], expected: '(6, 6) is -Infinity' },
      { set: [[0, 0, Number.NaN], [0, 3, Number.NaN]], expected: '(0, 0) is NaN' },
      // (1, 5) is in the upper triangle, so (3, 1) is the first one read.
      { set: [[1, 5, Number.NaN], [3, 1, Number.NaN]], expected: '(3, 1) is NaN' },
    ];
    for (const backend of BACKENDS) {
      for (const { set, expected } of cases) {
        const a = base.slice();
        for (const [i, j, value] of set) a[i * n + j] = value;
        assert.throws(
          () => symmetricEigenvalues(a, n, backend),
          (error: unknown) => {
            assert.ok(error instanceof InputError, `${backend}: ${String(error)}`);
            assert.ok(error.message.includes(expected), `${backend}: "${error.message}" should name ${expected}`);
            return true;
          },
        );
      }
      // The failed call leaves nothing behind that spoils the next one.
      assertSpectrum(symmetricEigenvalues(base, n, backend), symmetricEigenvalues(base, n, 'js'), 1e-12, backend);
    }
  });

  it('scales subnormal and near-overflow inputs (the exponent clamps) and the paths agree', () => {
    const n = 12;
    const a = randomSymmetric(n, createRng(31));
    const base = symmetricEigenvalues(a, n, 'js');
    // 2^1000 hits the clamp on the scaling exponent; 2^-1060 makes every entry subnormal.
    for (const factor of [2 ** 1000, 2 ** -1060]) {
      const scaled = a.map((value) => value * factor);
      const wasm = symmetricEigenvalues(scaled, n, 'wasm');
      const js = symmetricEigenvalues(scaled, n, 'js');
      assert.ok(wasm.every(Number.isFinite) && js.every(Number.isFinite), `finite at ${factor}`);
      assertSpectrum(wasm, js, 1e-10, `wasm vs js at ${factor}`);
      // Subnormal entries keep only some of their bits, so the spectrum moves by that much.
      const tolerance = factor > 1 ? 1e-13 : 1e-3;
      assertSpectrum(wasm, Array.from(base, (value) => value * factor), tolerance, `scaled by ${factor}`);
    }
  });

  it('stays finite when a block is far below rounding of the rest (underflowing rotations)', () => {
    // [[2, 1], [1, 2]] next to a 6×6 block 10⁻¹⁶⁰ times smaller: the rotations inside the small
    // block have squared lengths below the smallest normal double.
    const n = 8;
    const tiny = randomSymmetric(6, createRng(41));
    const a = symmetricFromLower(n, (i, j) => {
      if (i < 2) return i === j ? 2 : 1;
      if (j < 2) return 0;
      return 1e-160 * tiny[(i - 2) * 6 + (j - 2)];
    });
    for (const backend of BACKENDS) {
      const values = symmetricEigenvalues(a, n, backend);
      assert.ok(values.every(Number.isFinite), `${backend}: ${values}`);
      // Relative to the largest eigenvalue (3), the small block's eigenvalues are all zero.
      assertSpectrum(values, [0, 0, 0, 0, 0, 0, 1, 3], 1e-15, backend);
    }
  });
});

describe('symmetricEigenvaluesOfWritten', () => {
  it('gives the spectrum symmetricEigenvalues gives when only the lower triangle is written, on both paths', () => {
    const rng = createRng(41);
    for (const n of [1, 2, 7, 90, 180]) {
      const a = randomSymmetric(n, rng);
      for (const backend of BACKENDS) {
        // What the array held before (another problem, whose upper triangle stays) must not matter.
        const other = randomSymmetric(n, rng);
        symmetricEigenvaluesOfWritten(n, (target) => target.set(other), backend);
        const written = symmetricEigenvaluesOfWritten(
          n,
          (target) => {
            assert.equal(target.length, n * n);
            for (let i = 0; i < n; i++) target.set(a.subarray(i * n, i * n + i + 1), i * n);
          },
          backend,
        );
        assert.deepEqual(written, symmetricEigenvalues(a, n, backend), `${backend} n=${n}`);
      }
    }
  });

  it('names the first non-finite lower-triangle entry as symmetricEigenvalues does, and recovers', () => {
    const n = 6;
    const base = randomSymmetric(n, createRng(5));
    for (const backend of BACKENDS) {
      const bad = base.slice();
      bad[4 * n + 1] = Number.NEGATIVE_INFINITY;
      assert.throws(
        () => symmetricEigenvaluesOfWritten(n, (target) => target.set(bad), backend),
        (error: unknown) => error instanceof InputError && error.message.includes('(4, 1) is -Infinity'),
      );
      assert.deepEqual(symmetricEigenvaluesOfWritten(n, (target) => target.set(base), backend), symmetricEigenvalues(base, n, backend));
    }
    assert.deepEqual(symmetricEigenvaluesOfWritten(0, () => assert.fail('nothing to write for n = 0')), new Float64Array(0));
    assert.throws(() => symmetricEigenvaluesOfWritten(-1, () => undefined), InputError);
  });
});

describe('tridiagonalEigenvalues', () => {
  it('solves the second-difference tridiagonal directly', () => {
    const n = 200;
    const values = tridiagonalEigenvalues(new Float64Array(n).fill(2), new Float64Array(n - 1).fill(-1));
    const expected = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)));
    assertSpectrum(values, expected, 1e-13, 'tridiagonal second difference');
  });

  it('splits at zero couplings and sorts the blocks together', () => {
    // Blocks [3], [[1, 2], [2, 1]] (eigenvalues −1, 3) and [0.5].
    const values = tridiagonalEigenvalues([3, 1, 1, 0.5], [0, 2, 0]);
    assertSpectrum(values, [-1, 0.5, 3, 3], 1e-15, 'split blocks');
  });

  it('does not modify its inputs and checks the off-diagonal length', () => {
    const diagonal = new Float64Array([1, 2, 3]);
    const off = new Float64Array([0.5, 0.25]);
    tridiagonalEigenvalues(diagonal, off);
    assert.deepEqual(diagonal, new Float64Array([1, 2, 3]));
    assert.deepEqual(off, new Float64Array([0.5, 0.25]));
    assert.throws(() => tridiagonalEigenvalues([1, 2], [1, 2]), InputError);
  });
});
