import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors';
import { normalCdf } from '../../src/math/specialFunctions';
import { assertAbsolute, assertRelative } from '../support/tolerance';
import {
  logBeta,
  normalQuantile,
  regularizedIncompleteBeta,
  studentTCdf,
  twoSidedNormalPValue,
  twoSidedStudentTPValue,
} from '../../src/stats/distributions';

test('logBeta stays accurate for large arguments (mpmath 1.3 log(beta) at 40 digits, 1e-13 relative)', () => {
  // mpmath rather than scipy here: scipy 1.17.1 betaln(1500, 0.5) is itself off by 2e-13.
  assertRelative(logBeta(2.5, 3.5), -3.3018352699620526, 1e-13);
  assertRelative(logBeta(1500, 0.5), -3.0841619172886605, 1e-13);
  assertRelative(logBeta(1000, 1000), -1388.4826016359022, 1e-13);
});

test('regularizedIncompleteBeta matches closed forms and scipy.special.betainc', () => {
  // Closed forms: I_x(1, 1) = x, I_x(a, 1) = x^a, I_x(1, b) = 1 − (1 − x)^b, I_½(a, a) = ½.
  assertAbsolute(regularizedIncompleteBeta(0.37, 1, 1), 0.37, 1e-14);
  assertRelative(regularizedIncompleteBeta(0.6, 4.5, 1), 0.6 ** 4.5, 1e-13);
  assertRelative(regularizedIncompleteBeta(0.2, 1, 3), 1 - 0.8 ** 3, 1e-13);
  assertAbsolute(regularizedIncompleteBeta(0.5, 7.25, 7.25), 0.5, 1e-14);
  assert.equal(regularizedIncompleteBeta(0, 2, 3), 0);
  assert.equal(regularizedIncompleteBeta(1, 2, 3), 1);
  // scipy 1.17.1 special.betainc(a, b, x); tolerance 1e-12 relative.
  assertRelative(regularizedIncompleteBeta(0.3, 2, 3), 0.34829999999999994, 1e-12);
  assertRelative(regularizedIncompleteBeta(0.2, 0.3, 0.7), 0.5375966477465098, 1e-12);
  assertRelative(regularizedIncompleteBeta(0.9, 7, 2), 0.81310473, 1e-12);
  // mpmath 1.3 betainc(regularized=True) at 40 digits; 1e-12 relative.
  assertRelative(regularizedIncompleteBeta(0.48, 1000, 1000.5), 0.037670090058106224, 1e-12);
  assertRelative(regularizedIncompleteBeta(0.99, 1500, 0.5), 4.0071550083392615e-8, 1e-12);
});

test('two-sided Student t p-values reproduce a printed t-table', () => {
  // Critical values from a standard two-tailed t-table (3 decimals), so tolerance 2e-4 absolute.
  assertAbsolute(twoSidedStudentTPValue(2.228, 10), 0.05, 2e-4, 't=2.228 df=10');
  assertAbsolute(twoSidedStudentTPValue(2.086, 20), 0.05, 2e-4, 't=2.086 df=20');
  assertAbsolute(twoSidedStudentTPValue(3.169, 10), 0.01, 2e-4, 't=3.169 df=10');
  assertAbsolute(twoSidedStudentTPValue(12.706, 1), 0.05, 2e-4, 't=12.706 df=1');
  assertAbsolute(twoSidedStudentTPValue(1.96, Infinity), 0.05, 2e-4, 't=1.96 df=∞');
  // The same points to full precision: scipy 1.17.1 2*t.sf(t, df); tolerance 1e-10 relative.
  assertRelative(twoSidedStudentTPValue(2.228, 10), 0.05001177181711132, 1e-10);
  assertRelative(twoSidedStudentTPValue(2.086, 20), 0.04999635445744019, 1e-10);
  assertRelative(twoSidedStudentTPValue(12.706, 1), 0.05000080235813319, 1e-10);
  assertRelative(twoSidedStudentTPValue(-2.228, 10), 0.05001177181711132, 1e-10, 'negative t');
  // Far tail: scipy 1.17.1 2*t.sf(30, 25); tolerance 1e-8 relative.
  assertRelative(twoSidedStudentTPValue(30, 25), 3.995862850255073e-21, 1e-8, 'tail');
  assert.equal(twoSidedStudentTPValue(0, 5), 1);
  assert.equal(twoSidedStudentTPValue(Infinity, 5), 0);
});

test('studentTCdf matches the closed forms for df = 1 and df = 2, and scipy elsewhere', () => {
  for (const t of [-40, -3, -0.4, 0, 0.7, 2.5, 1e6]) {
    // df = 1 is the Cauchy distribution: ½ + atan(t)/π.
    assertAbsolute(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-14, `df=1 t=${t}`);
    // df = 2: ½ + t / (2√(2 + t²)).
    assertAbsolute(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-14, `df=2 t=${t}`);
  }
  // scipy 1.17.1 t.cdf; tolerance 1e-10 relative.
  assertRelative(studentTCdf(-3.5, 7), 0.0049965204409427744, 1e-10);
  assertRelative(studentTCdf(1.2, 4.5), 0.8552614725790177, 1e-10);
});

test('two-sided normal p-values are accurate far into the tail', () => {
  // Symmetric two-sided tail: 2 Φ(−|z|), with Φ from scipy 1.17.1 stats.norm.cdf; tolerance 1e-12 relative.
  assertRelative(twoSidedNormalPValue(-7), 2 * 1.279812543885835e-12, 1e-12);
  assertRelative(twoSidedNormalPValue(2.576), 0.00999506463147004, 1e-12);
});

test('distribution functions reject bad arguments with InputError', () => {
  assert.throws(() => regularizedIncompleteBeta(1.5, 1, 1), InputError);
  assert.throws(() => regularizedIncompleteBeta(0.5, 0, 1), InputError);
  assert.throws(() => studentTCdf(1, 0), InputError);
  assert.throws(() => twoSidedStudentTPValue(NaN, 5), InputError);
  assert.throws(() => twoSidedNormalPValue(NaN), InputError);
});

test('normalQuantile inverts normalCdf, with known values and infinite ends', () => {
  assert.equal(normalQuantile(0.5), 0);
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-13);
  assert.ok(Math.abs(normalQuantile(0.05) + 1.6448536269514722) < 1e-13);
  for (const p of [1e-300, 1e-12, 1e-4, 0.01, 0.2, 0.5, 0.7, 0.99, 1 - 1e-9]) {
    const z = normalQuantile(p);
    // Lower tail: relative accuracy; upper half: Φ(z) rounds to p within a few ulps of 1.
    const error = p < 0.5 ? Math.abs(normalCdf(z) / p - 1) : Math.abs(normalCdf(z) - p);
    assert.ok(error < 1e-12, `p ${p}: Φ(${z}) = ${normalCdf(z)}`);
  }
  assert.equal(normalQuantile(0), -Infinity);
  assert.equal(normalQuantile(1), Infinity);
  assert.throws(() => normalQuantile(1.5), /must be in \[0, 1\]/);
});
