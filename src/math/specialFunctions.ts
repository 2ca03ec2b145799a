/**
 * Special functions in float64 for the statistics, the estimators and the samplers' closed-form
 * mutual information: digamma (KSG), log-gamma (Student-t entropies, the beta function of the
 * Student t tests), the error function and the normal CDF (p-values, bootstrap intervals, an
 * MI-preserving transform).
 *
 * Accuracy targets: p-values are reported down to ~1e-12 and compared across splits, so every
 * tail is computed directly (never as 1 − cdf) and erfc uses a continued fraction rather than a
 * ~1e-7 polynomial fit; relative accuracy is ~1e-13 or better in the tails.
 *
 * logGamma, erf, erfc and normalCdf reject bad arguments (NaN, x ≤ 0 for logGamma) with
 * InputError: a silent NaN here would travel all the way into a report. digamma returns NaN at
 * its poles instead, and logGammaPositive skips the check for callers that have already made it.
 */
import { InputError } from '../errors';

/**
 * Below this argument digamma's asymptotic series is not used directly: the recurrence moves the
 * argument up first. At 15 the first omitted term of the series is below 1e-16.
 */
const ASYMPTOTIC_FROM = 15;

/**
 * Throws InputError unless `value` is a number other than NaN: the check every checked function
 * here (and the statistics built on them) applies, since a silent NaN would travel all the way
 * into a report.
 */
export function requireNumber(value: number, field: string): void {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new InputError(`must be a number, got ${String(value)}`, { field });
  }
}

/** ½ ln 2π, the constant of Stirling's series. */
export const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);
const SQRT_PI = Math.sqrt(Math.PI);
/** Below this the asymptotic (Stirling) series is shifted upward; at 10 it converges to < 1e-16. */
export const STIRLING_MIN = 10;
/** Guards Lentz's method against a zero denominator. */
export const TINY = 1e-300;
/** Lentz's method stops once a step changes the fraction by less than this (relative). */
export const CF_EPSILON = 1e-16;
/**
 * The most terms a continued fraction may take. Beta continued fractions (stats) need
 * O(√max(a, b)) terms, and this allows df up to ~1e9; erfc's converges long before.
 */
export const CF_MAX_ITERATIONS = 100_000;

/** The digamma function ψ(x) = Γ′(x) / Γ(x) for real x (poles at 0, −1, −2, … give NaN). */
export function digamma(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return NaN;
  if (x < 0.5) {
    // Reflection: ψ(1 − x) − ψ(x) = π cot(πx); used only below ½ so 1 − x stays positive.
    return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x);
  }
  let shift = 0;
  let z = x;
  while (z < ASYMPTOTIC_FROM) {
    shift -= 1 / z;
    z += 1;
  }
  const inverseSquare = 1 / (z * z);
  // ψ(z) ~ ln z − 1/(2z) − Σ B_2k / (2k z^2k), Bernoulli numbers B_2 … B_12.
  const series =
    inverseSquare *
    (1 / 12 - inverseSquare * (1 / 120 - inverseSquare * (1 / 252 - inverseSquare * (1 / 240 - inverseSquare * (1 / 132 - inverseSquare * (691 / 32760))))));
  return shift + Math.log(z) - 0.5 / z - series;
}

/**
 * Stirling-series remainder ln Γ(x) − [(x − ½) ln x − x + ½ ln 2π], for x ≥ 10.
 * Coefficients are B₂ₖ / (2k(2k − 1)) with Bernoulli numbers B₂..B₁₄.
 */
export function stirlingCorrection(x: number): number {
  const inv = 1 / x;
  const inv2 = inv * inv;
  return (
    inv *
    (1 / 12 +
      inv2 *
        (-1 / 360 +
          inv2 * (1 / 1260 + inv2 * (-1 / 1680 + inv2 * (1 / 1188 + inv2 * (-691 / 360360 + inv2 * (1 / 156)))))))
  );
}

/** ln Γ(x) for finite x > 0 without validation (hot path for logBeta). */
export function logGammaPositive(x: number): number {
  // Exact zeros, which the shifted series would only reach to ~1e-15.
  if (x === 1 || x === 2) return 0;
  if (x >= STIRLING_MIN) {
    return (x - 0.5) * Math.log(x) - x + HALF_LOG_TWO_PI + stirlingCorrection(x);
  }
  // Γ(x) = Γ(x + k) / (x (x + 1) … (x + k − 1)); the product stays far from overflow for k ≤ 10.
  let product = 1;
  let shifted = x;
  while (shifted < STIRLING_MIN) {
    product *= shifted;
    shifted += 1;
  }
  return logGammaPositive(shifted) - Math.log(product);
}

/**
 * Natural log of the gamma function, for x > 0 (NaN and x ≤ 0 throw InputError). Relative error
 * ~1e-15 for x ≥ 10; close to (but not at) the zeros x = 1 and x = 2 the absolute error is ~1e-15.
 */
export function logGamma(x: number): number {
  requireNumber(x, 'x');
  if (!(x > 0)) throw new InputError(`logGamma needs x > 0, got ${x}`, { field: 'x' });
  if (x === Infinity) return Infinity;
  return logGammaPositive(x);
}

/** erf(x) for x² < 1.5 via the all-positive series 2/√π e^{−x²} Σ 2ⁿ x^{2n+1} / (2n+1)!!. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= Math.abs(sum) * 1e-17) break;
  }
  return (2 / SQRT_PI) * Math.exp(-x2) * sum;
}

/**
 * erfc(x) for x² ≥ 1.5, as Q(½, x²) through the Legendre continued fraction for the upper
 * incomplete gamma function (modified Lentz). Full relative accuracy far into the tail.
 */
function erfcContinuedFraction(x: number): number {
  const z = x * x;
  const a = 0.5;
  let b = z + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let result = d;
  for (let n = 1; n <= CF_MAX_ITERATIONS; n++) {
    const an = -n * (n - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    result *= step;
    if (Math.abs(step - 1) < CF_EPSILON) break;
  }
  // e^{−z} z^a / Γ(a) with a = ½ and z^½ = x (x > 0 here).
  return (Math.exp(-z) * x * result) / SQRT_PI;
}

/** Error function erf(x) (NaN throws InputError). */
export function erf(x: number): number {
  requireNumber(x, 'x');
  if (x * x < 1.5) return erfSeries(x);
  const tail = erfcContinuedFraction(Math.abs(x));
  return x > 0 ? 1 - tail : tail - 1;
}

/** erfc(x) for x that is not NaN, without the check: the one body behind erfc and normalCdf. */
function erfcOfNumber(x: number): number {
  if (x === Infinity) return 0;
  if (x === -Infinity) return 2;
  if (x * x < 1.5) return 1 - erfSeries(x);
  return x > 0 ? erfcContinuedFraction(x) : 2 - erfcContinuedFraction(-x);
}

/**
 * Complementary error function erfc(x) = 1 − erf(x), accurate in relative terms for large x
 * (NaN throws InputError).
 */
export function erfc(x: number): number {
  requireNumber(x, 'x');
  return erfcOfNumber(x);
}

/** Φ(z) = P(Z ≤ z) for a standard normal Z, through erfc so Φ(−z) is the accurate upper tail (NaN throws InputError). */
export function normalCdf(z: number): number {
  requireNumber(z, 'z');
  return 0.5 * erfcOfNumber(-z / Math.SQRT2);
}

/** The standard normal density φ(x). */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/**
 * ψ(m) for m = 0 … n as a table (entry 0 is NaN: the pole), for estimators that need it for every
 * integer count up to the sample size.
 */
export function digammaTable(n: number): Float64Array {
  if (!Number.isInteger(n) || n < 0) throw new InputError(`expected a whole number, got ${n}`, { field: 'n' });
  const table = new Float64Array(n + 1);
  table[0] = NaN;
  for (let m = 1; m <= n; m++) table[m] = digamma(m);
  return table;
}
