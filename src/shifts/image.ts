/**
 * Synthetic image corruptions for building shifted splits from one's own images, modelled on
 * ImageNet-C (Hendrycks & Dietterich, 2019): the severity tables below are ImageNet-C's, so a
 * severity here means what it means in that benchmark. Frost is the exception: ImageNet-C
 * overlays crops of six photographs, and shipping photographs is not an option, so its overlay is
 * generated procedurally from the seed.
 *
 * Every function is pure (a fresh image is returned, the input is never written) and
 * deterministic: the same image, severity and seed give the same bytes on every machine.
 * Severity 0 is the identity, so a severity sweep can include the unshifted split. Images are
 * RGBA (`RgbaImage`): shifts act on R, G, B and copy A unchanged, because none of the corruptions
 * model transparency.
 */
import { InputError } from '../errors';
import { createRng, type RandomSource } from '../random';
import { checkRgbaImage, type RgbaImage } from '../io/image';

/** The image shifts applyImageShift knows. */
export const IMAGE_SHIFT_NAMES = ['defocus_blur', 'frost', 'gaussian_noise', 'contrast'] as const;
/** One of `IMAGE_SHIFT_NAMES`, also the shift's family token in split names and manifests. */
export type ImageShiftName = (typeof IMAGE_SHIFT_NAMES)[number];

/** The highest severity of every image shift (ImageNet-C's scale, 1–5). */
export const MAX_IMAGE_SEVERITY = 5;

function checkSeverity(severity: number, max: number, shift: string): void {
  if (!Number.isInteger(severity) || severity < 0 || severity > max) {
    throw new InputError(`${shift} severity must be an integer from 0 to ${max}, got ${severity}`);
  }
}

function checkSeed(seed: number, shift: string): void {
  if (!Number.isFinite(seed)) throw new InputError(`${shift} needs a finite numeric seed, got ${seed}`);
}

function copyImage(image: RgbaImage): RgbaImage {
  return { width: image.width, height: image.height, rgba: Uint8Array.from(image.rgba) };
}

function toByte(value: number): number {
  return value <= 0 ? 0 : value >= 255 ? 255 : Math.round(value);
}

/**
 * Index into [0, n) with OpenCV's default BORDER_REFLECT_101 (…2 1 | 0 1 2 … n-1 | n-2…), the
 * border ImageNet-C's cv2.filter2D uses; looping covers pads wider than a tiny image.
 */
function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let k = i % period;
  if (k < 0) k += period;
  return k < n ? k : period - k;
}

/** ImageNet-C's (disk radius, anti-alias sigma) per severity, in pixels of the image as given. */
const DEFOCUS = [
  [3, 0.1],
  [4, 0.5],
  [6, 0.5],
  [8, 0.5],
  [10, 0.5],
] as const;

/**
 * Defocus blur: convolution with a uniform disk whose radius grows with severity, softened by a
 * small Gaussian as ImageNet-C does to anti-alias the disk's edge. Radii are in pixels (ImageNet-C
 * calibrated them on 224-pixel images), so resize first to match its strength on other sizes.
 * `seed` is accepted only so every image shift shares one call signature; blur is not random.
 */
export function defocusBlur(image: RgbaImage, severity: number, seed?: number): RgbaImage {
  void seed;
  checkRgbaImage(image);
  checkSeverity(severity, MAX_IMAGE_SEVERITY, 'defocus_blur');
  if (severity === 0) return copyImage(image);
  const [radius, aliasSigma] = DEFOCUS[severity - 1];
  const { width, height } = image;
  const out = new Uint8Array(image.rgba.length);
  const channel = new Float64Array(width * height);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < channel.length; p++) channel[p] = image.rgba[4 * p + c];
    // Disk then Gaussian equals ImageNet-C's one anti-aliased kernel (convolution is associative),
    // but the disk alone runs on row prefix sums: O(radius) per pixel instead of O(radius²).
    const blurred = gaussianBlur(diskBlur(channel, width, height, radius), width, height, aliasSigma, radius <= 8 ? 3 : 5);
    for (let p = 0; p < blurred.length; p++) out[4 * p + c] = toByte(blurred[p]);
  }
  for (let p = 0; p < width * height; p++) out[4 * p + 3] = image.rgba[4 * p + 3];
  return { width, height, rgba: out };
}

function diskBlur(src: Float64Array, width: number, height: number, radius: number): Float64Array {
  const halfWidths: number[] = [];
  let area = 0;
  for (let dy = -radius; dy <= radius; dy++) {
    const h = Math.floor(Math.sqrt(radius * radius - dy * dy));
    halfWidths.push(h);
    area += 2 * h + 1;
  }
  // prefix[y][k] sums the reflect-padded row y over padded columns [0, k).
  const paddedWidth = width + 2 * radius;
  const prefix = new Float64Array(height * (paddedWidth + 1));
  for (let y = 0; y < height; y++) {
    const base = y * (paddedWidth + 1);
    for (let k = 0; k < paddedWidth; k++) {
      prefix[base + k + 1] = prefix[base + k] + src[y * width + reflect101(k - radius, width)];
    }
  }
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let j = 0; j < halfWidths.length; j++) {
        const base = reflect101(y + j - radius, height) * (paddedWidth + 1);
        const h = halfWidths[j];
        sum += prefix[base + x + radius + h + 1] - prefix[base + x + radius - h];
      }
      out[y * width + x] = sum / area;
    }
  }
  return out;
}

function gaussianBlur(src: Float64Array, width: number, height: number, sigma: number, size: number): Float64Array {
  const half = (size - 1) / 2;
  const weights: number[] = [];
  let total = 0;
  for (let i = -half; i <= half; i++) {
    const w = Math.exp(-(i * i) / (2 * sigma * sigma));
    weights.push(w);
    total += w;
  }
  for (let i = 0; i < weights.length; i++) weights[i] /= total;
  const rows = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let i = -half; i <= half; i++) sum += weights[i + half] * src[y * width + reflect101(x + i, width)];
      rows[y * width + x] = sum;
    }
  }
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let i = -half; i <= half; i++) sum += weights[i + half] * rows[reflect101(y + i, height) * width + x];
      out[y * width + x] = sum;
    }
  }
  return out;
}

/** ImageNet-C's noise standard deviation per severity, as a fraction of the 0–255 range. */
const NOISE_SIGMA = [0.08, 0.12, 0.18, 0.26, 0.38];

/**
 * Additive Gaussian noise, independent per pixel and channel. One noise field is drawn per seed
 * and only its scale depends on severity, so raising the severity never lessens the change.
 */
export function gaussianNoise(image: RgbaImage, severity: number, seed: number): RgbaImage {
  checkRgbaImage(image);
  checkSeverity(severity, MAX_IMAGE_SEVERITY, 'gaussian_noise');
  checkSeed(seed, 'gaussian_noise');
  if (severity === 0) return copyImage(image);
  const scale = NOISE_SIGMA[severity - 1] * 255;
  const rng = createRng(seed);
  const out = new Uint8Array(image.rgba.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = (i & 3) === 3 ? image.rgba[i] : toByte(image.rgba[i] + scale * rng.normal());
  }
  return { width: image.width, height: image.height, rgba: out };
}

/** ImageNet-C's factor by which deviations from the mean colour are shrunk, per severity. */
const CONTRAST_FACTOR = [0.4, 0.3, 0.2, 0.1, 0.05];

/** Contrast reduction: every channel is pulled towards its own mean over the image. */
export function contrast(image: RgbaImage, severity: number): RgbaImage {
  checkRgbaImage(image);
  checkSeverity(severity, MAX_IMAGE_SEVERITY, 'contrast');
  if (severity === 0) return copyImage(image);
  const factor = CONTRAST_FACTOR[severity - 1];
  const pixels = image.width * image.height;
  const means = [0, 0, 0];
  for (let p = 0; p < pixels; p++) for (let c = 0; c < 3; c++) means[c] += image.rgba[4 * p + c];
  for (let c = 0; c < 3; c++) means[c] /= pixels;
  const out = new Uint8Array(image.rgba.length);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) out[4 * p + c] = toByte((image.rgba[4 * p + c] - means[c]) * factor + means[c]);
    out[4 * p + 3] = image.rgba[4 * p + 3];
  }
  return { width: image.width, height: image.height, rgba: out };
}

/**
 * How far each pixel moves towards its frosted value. ImageNet-C's overlay weights are
 * 0.4, 0.6, 0.7, 0.7, 0.75; these follow them but rise strictly, so every severity step is a
 * visibly stronger frost.
 */
const FROST_WEIGHT = [0.4, 0.55, 0.7, 0.8, 0.9];
/** How much of the scene survives under full frost: ImageNet-C keeps 0.6 of it at severity 5. */
const FROST_SCENE_KEEP = 0.65;
/** Pale blue-white of ice, per channel. */
const FROST_TINT = [0.86, 0.92, 1.0];

/**
 * Frost: a procedurally generated ice layer (milky fractal haze, fine grain and branching
 * six-fold crystal streaks) screened over a dimmed copy of the image. The layer depends on the
 * seed and the image size only; severity sets how far each pixel moves towards its frosted value,
 * so for one seed the change grows pixel by pixel with severity.
 */
export function frost(image: RgbaImage, severity: number, seed: number): RgbaImage {
  checkRgbaImage(image);
  checkSeverity(severity, MAX_IMAGE_SEVERITY, 'frost');
  checkSeed(seed, 'frost');
  if (severity === 0) return copyImage(image);
  const { width, height } = image;
  const layer = frostLayer(width, height, createRng(seed));
  const weight = FROST_WEIGHT[severity - 1];
  const out = new Uint8Array(image.rgba.length);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      const scene = image.rgba[4 * p + c];
      const ice = 255 * FROST_TINT[c] * layer[p];
      // Screen blending brightens like light scattered by ice, never darkens, and stays in range.
      const frosted = 255 - ((255 - FROST_SCENE_KEEP * scene) * (255 - ice)) / 255;
      out[4 * p + c] = toByte(scene + weight * (frosted - scene));
    }
    out[4 * p + 3] = image.rgba[4 * p + 3];
  }
  return { width, height, rgba: out };
}

/** Ice intensity in [0, 1] per pixel. */
function frostLayer(width: number, height: number, rng: RandomSource): Float32Array {
  const size = Math.min(width, height);
  const haze = fractalNoise(width, height, Math.max(2, size / 3), 4, rng);
  const crystals = new Float32Array(width * height);
  // Crystal density is tied to area and sizes to the short side, so the frost looks the same
  // at any resolution.
  const count = Math.max(6, Math.min(4000, Math.round((30 * width * height) / (224 * 224))));
  for (let k = 0; k < count; k++) {
    const x = rng.next() * width;
    const y = rng.next() * height;
    const angle = rng.next() * Math.PI * 2;
    const length = size * (0.04 + 0.16 * rng.next());
    const brightness = 0.45 + 0.5 * rng.next();
    drawCrystal(crystals, width, height, x, y, angle, length, brightness, 2, rng);
  }
  const layer = new Float32Array(width * height);
  for (let p = 0; p < layer.length; p++) {
    const grain = 0.05 * rng.normal();
    layer[p] = Math.min(1, Math.max(0, 0.25 + 0.5 * haze[p] + grain + crystals[p]));
  }
  return layer;
}

/** Sum of `octaves` bilinear value-noise layers, each twice as fine and half as strong; in [0, 1]. */
function fractalNoise(width: number, height: number, cell: number, octaves: number, rng: RandomSource): Float32Array {
  const out = new Float32Array(width * height);
  let amplitude = 1;
  let total = 0;
  for (let o = 0; o < octaves; o++) {
    const step = Math.max(1, cell / 2 ** o);
    const gw = Math.ceil(width / step) + 2;
    const gh = Math.ceil(height / step) + 2;
    const grid = new Float32Array(gw * gh);
    for (let i = 0; i < grid.length; i++) grid[i] = rng.next();
    for (let y = 0; y < height; y++) {
      const gy = y / step;
      const y0 = Math.floor(gy);
      const ty = smooth(gy - y0);
      for (let x = 0; x < width; x++) {
        const gx = x / step;
        const x0 = Math.floor(gx);
        const tx = smooth(gx - x0);
        const top = grid[y0 * gw + x0] * (1 - tx) + grid[y0 * gw + x0 + 1] * tx;
        const bottom = grid[(y0 + 1) * gw + x0] * (1 - tx) + grid[(y0 + 1) * gw + x0 + 1] * tx;
        out[y * width + x] += amplitude * (top * (1 - ty) + bottom * ty);
      }
    }
    total += amplitude;
    amplitude /= 2;
  }
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

/** Hermite fade, so value noise shows no grid creases. */
function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

/**
 * One dendrite: a fading streak with side branches at ±60°, the angle ice crystals branch at
 * because of their hexagonal lattice. Brightness is combined with max so crossings stay bright
 * without saturating into blobs.
 */
function drawCrystal(
  target: Float32Array,
  width: number,
  height: number,
  x: number,
  y: number,
  angle: number,
  length: number,
  brightness: number,
  depth: number,
  rng: RandomSource,
): void {
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  const steps = Math.max(1, Math.ceil(length * 2));
  for (let s = 0; s <= steps; s++) {
    const t = s / steps;
    const value = brightness * (1 - 0.7 * t);
    splat(target, width, height, x + dx * length * t, y + dy * length * t, value);
  }
  if (depth === 0) return;
  const branches = 2 + rng.int(3);
  for (let b = 0; b < branches; b++) {
    const t = 0.2 + 0.7 * rng.next();
    const side = rng.next() < 0.5 ? -1 : 1;
    drawCrystal(
      target,
      width,
      height,
      x + dx * length * t,
      y + dy * length * t,
      angle + (side * Math.PI) / 3,
      length * (0.25 + 0.25 * rng.next()) * (1 - t * 0.5),
      brightness * 0.8,
      depth - 1,
      rng,
    );
  }
}

/** Bilinear footprint of a point, so thin streaks are anti-aliased. */
function splat(target: Float32Array, width: number, height: number, x: number, y: number, value: number): void {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const corners: Array<[number, number, number]> = [
    [x0, y0, (1 - fx) * (1 - fy)],
    [x0 + 1, y0, fx * (1 - fy)],
    [x0, y0 + 1, (1 - fx) * fy],
    [x0 + 1, y0 + 1, fx * fy],
  ];
  for (const [cx, cy, w] of corners) {
    if (cx < 0 || cy < 0 || cx >= width || cy >= height) continue;
    const i = cy * width + cx;
    // Weight by the footprint but never below half, so one-pixel streaks remain visible.
    const v = value * (0.5 + 0.5 * w);
    if (v > target[i]) target[i] = v;
  }
}

/** Applies the named shift; `seed` is ignored by the shifts that are not random. */
export function applyImageShift(name: ImageShiftName | string, image: RgbaImage, severity: number, seed: number): RgbaImage {
  switch (name) {
    case 'defocus_blur':
      return defocusBlur(image, severity, seed);
    case 'frost':
      return frost(image, severity, seed);
    case 'gaussian_noise':
      return gaussianNoise(image, severity, seed);
    case 'contrast':
      return contrast(image, severity);
    default:
      throw new InputError(`unknown image shift '${name}'; expected one of ${IMAGE_SHIFT_NAMES.join(', ')}`);
  }
}
