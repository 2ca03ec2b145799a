import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors';
import { digamma, digammaTable, erf, erfc, logGamma, normalCdf } from '../../src/math/specialFunctions';
import { assertRelative } from '../support/tolerance';

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

test('logGamma: integers are ln((n − 1)!), Γ(n + ½) = (2n − 1)!! √π / 2ⁿ', () => {
  let logFactorial = 0;
  for (let n = 1; n <= 170; n++) {
    // logGamma(n) = ln((n − 1)!); logFactorial holds ln((n − 1)!) as a sum of logs (error ~n·1e-16).
    near(logGamma(n), logFactorial, 1e-13, `logGamma(${n})`);
    logFactorial += Math.log(n);
  }
  near(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14, 'logGamma(½)');
  for (let n = 1; n <= 40; n++) {
    // Γ(n + ½) = (2n − 1)!! √π / 2ⁿ.
    let logDoubleFactorial = 0;
    for (let m = 1; m <= 2 * n - 1; m += 2) logDoubleFactorial += Math.log(m);
    near(logGamma(n + 0.5), logDoubleFactorial + 0.5 * Math.log(Math.PI) - n * Math.LN2, 1e-13, `logGamma(${n}.5)`);
  }
  // logGamma is defined for x > 0 only: a negative argument or a pole is an InputError.
  assert.throws(() => logGamma(-0.5), InputError);
  assert.throws(() => logGamma(0), InputError);
  assert.throws(() => logGamma(-3), InputError);
  // The digamma function is logGamma's derivative: a central difference agrees to its own error (h² ~ 1e-8).
  for (const x of [0.8, 2.5, 7.1, 22]) near((logGamma(x + 1e-4) - logGamma(x - 1e-4)) / 2e-4, digamma(x), 1e-7, `logGamma′(${x})`);
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

test('logGamma matches closed forms and scipy.special.gammaln', () => {
  // Closed forms: Γ(1) = Γ(2) = 1, Γ(5) = 4! = 24, Γ(½) = √π.
  assert.equal(logGamma(1), 0);
  assert.equal(logGamma(2), 0);
  assertRelative(logGamma(5), Math.log(24), 1e-14, 'lnΓ(5)');
  assertRelative(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14, 'lnΓ(1/2)');
  // scipy 1.17.1 special.gammaln; tolerance 1e-13 relative.
  assertRelative(logGamma(100), 359.1342053695754, 1e-13, 'lnΓ(100)');
  assertRelative(logGamma(3.7), 1.428072326665388, 1e-13, 'lnΓ(3.7)');
  assertRelative(logGamma(1e-8), 18.42068073818021, 1e-13, 'lnΓ(1e-8)');
});

test('normalCdf is accurate far into the tail', () => {
  // scipy 1.17.1 stats.norm.cdf; tolerance 1e-12 relative (1e-10 at −37.5, next to underflow).
  assertRelative(normalCdf(-1.959963984540054), 0.025, 1e-12);
  assertRelative(normalCdf(-7), 1.279812543885835e-12, 1e-12);
  assertRelative(normalCdf(-10), 7.61985302416047e-24, 1e-12);
  assertRelative(normalCdf(-20), 2.7536241186061556e-89, 1e-12);
  assertRelative(normalCdf(-37.5), 4.605353009581954e-308, 1e-10);
  assertRelative(normalCdf(3), 0.9986501019683699, 1e-14);
  assert.equal(normalCdf(0), 0.5);
});

test('erf and erfc match scipy.special (1e-13 relative)', () => {
  assertRelative(erf(0.5), 0.5204998778130465, 1e-13);
  assertRelative(erf(-2.5), -0.999593047982555, 1e-13);
  assertRelative(erfc(0.5), 0.4795001221869535, 1e-13);
  assertRelative(erfc(5), 1.5374597944280347e-12, 1e-13);
  assertRelative(erfc(10), 2.0884875837625446e-45, 1e-13);
  assertRelative(erfc(-5), 2 - 1.5374597944280347e-12, 1e-15);
  assert.equal(erf(0), 0);
});

test('logGamma, erf, erfc and normalCdf reject bad arguments with InputError', () => {
  assert.throws(() => logGamma(0), InputError);
  assert.throws(() => logGamma(NaN), InputError);
  assert.throws(() => normalCdf(NaN), InputError);
  assert.throws(() => erf(NaN), InputError);
  assert.throws(() => erfc(NaN), InputError);
});
