import { test } from 'node:test';
import assert from 'node:assert/strict';
import { digamma, digammaTable, erf, erfc, lgamma, normalCdf } from '../../src/math/specialFunctions';

const EULER_GAMMA = 0.5772156649015329;

/** |actual − expected| ≤ tolerance · max(1, |expected|): absolute near 0, relative for large values. */
function near(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

test('digamma: ψ(1) = −γ, ψ(½) = −γ − 2 ln 2, and the recurrence ψ(x + 1) = ψ(x) + 1/x', () => {
  near(digamma(1), -EULER_GAMMA, 1e-14, 'ψ(1)');
  near(digamma(0.5), -EULER_GAMMA - 2 * Math.LN2, 1e-14, 'ψ(½)');
  // ψ(n + 1) = −γ + H_n, the harmonic numbers summed exactly enough in float64 for n ≤ 1000.
  let harmonic = 0;
  for (let n = 1; n <= 1000; n++) {
    harmonic += 1 / n;
    near(digamma(n + 1), -EULER_GAMMA + harmonic, 1e-12, `ψ(${n + 1})`);
  }
  for (const x of [0.01, 0.3, 0.7, 1.5, 3.25, 9.9, 14.5, 15, 40.2, 1e4]) near(digamma(x + 1) - digamma(x), 1 / x, 1e-12, `recurrence at ${x}`);
  // Reflection on negative arguments: ψ(1 − x) − ψ(x) = π cot(πx).
  near(digamma(1.3) - digamma(-0.3), Math.PI / Math.tan(Math.PI * -0.3), 1e-12, 'reflection');
  assert.ok(Number.isNaN(digamma(0)) && Number.isNaN(digamma(-2)) && Number.isNaN(digamma(NaN)));
  const table = digammaTable(30);
  for (let m = 1; m <= 30; m++) assert.equal(table[m], digamma(m));
});

test('lgamma: integers are ln((n − 1)!), Γ(n + ½) = (2n − 1)!! √π / 2ⁿ', () => {
  let logFactorial = 0;
  for (let n = 1; n <= 170; n++) {
    // lgamma(n) = ln((n − 1)!); logFactorial holds ln((n − 1)!) as a sum of logs (error ~n·1e-16).
    near(lgamma(n), logFactorial, 1e-13, `lgamma(${n})`);
    logFactorial += Math.log(n);
  }
  near(lgamma(0.5), 0.5 * Math.log(Math.PI), 1e-14, 'lgamma(½)');
  for (let n = 1; n <= 40; n++) {
    // Γ(n + ½) = (2n − 1)!! √π / 2ⁿ.
    let logDoubleFactorial = 0;
    for (let m = 1; m <= 2 * n - 1; m += 2) logDoubleFactorial += Math.log(m);
    near(lgamma(n + 0.5), logDoubleFactorial + 0.5 * Math.log(Math.PI) - n * Math.LN2, 1e-13, `lgamma(${n}.5)`);
  }
  // Γ(−½) = −2√π (its absolute value's log), and the poles.
  near(lgamma(-0.5), Math.log(2 * Math.sqrt(Math.PI)), 1e-14, 'lgamma(−½)');
  assert.equal(lgamma(0), Infinity);
  assert.equal(lgamma(-3), Infinity);
  // The digamma function is lgamma's derivative: a central difference agrees to its own error (h² ~ 1e-8).
  for (const x of [0.8, 2.5, 7.1, 22]) near((lgamma(x + 1e-4) - lgamma(x - 1e-4)) / 2e-4, digamma(x), 1e-7, `lgamma′(${x})`);
});

test('erf, erfc and Φ: known values, symmetry and the far tail', () => {
  near(erf(0.5), 0.5204998778130465, 1e-15, 'erf(½)');
  near(erf(1), 0.8427007929497149, 1e-15, 'erf(1)');
  near(erf(2), 0.9953222650189527, 1e-15, 'erf(2)');
  near(erfc(3), 2.209049699858544e-5, 1e-12, 'erfc(3)');
  // Relative accuracy in the far tail, where 1 − erf would be 0.
  assert.ok(Math.abs(erfc(5) / 1.537459794428035e-12 - 1) < 1e-12, `erfc(5) = ${erfc(5)}`);
  assert.ok(Math.abs(erfc(10) / 2.088487583762545e-45 - 1) < 1e-12, `erfc(10) = ${erfc(10)}`);
  for (const x of [0.1, 1.7, 2.99, 3.01, 4.5]) {
    near(erf(-x), -erf(x), 1e-16, `erf odd at ${x}`);
    near(erf(x) + erfc(x), 1, 1e-15, `erf + erfc at ${x}`);
  }
  near(normalCdf(0), 0.5, 1e-16, 'Φ(0)');
  near(normalCdf(1.959963984540054), 0.975, 1e-15, 'Φ(1.96)');
  assert.ok(Math.abs(normalCdf(-10) / 7.619853024160527e-24 - 1) < 1e-12, `Φ(−10) = ${normalCdf(-10)}`);
  // Continuity where the series hands over to the continued fraction.
  near(erfc(3 - 1e-12), erfc(3 + 1e-12), 1e-13, 'erfc continuous at 3');
});
