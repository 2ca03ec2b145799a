/**
 * The built-in image embedder: hand-made colour, edge and layout statistics projected to 768
 * dimensions. Like the built-in text embedder it needs no model files, is deterministic across
 * machines and is a stand-in, not a CLIP replacement: it responds to what a corruption changes
 * (blur removes edges, frost shifts colours and adds texture, a different scene moves colours
 * and layout), not to what the image depicts.
 *
 * Definition (changing any of it changes `BUILTIN_IMAGE_EMBEDDER_ID`):
 * - Decode (PNG/JPEG only; decoded RGB pixels are taken as they are), then shrink by area
 *   averaging so the longer side is at most 256 px (the working image; colour statistics use a
 *   further area-averaged copy of at most 128 px).
 *   Every later step is O(pixels of those), so the cost per image is bounded by the decode,
 *   which is linear in the file's pixels.
 * - Colour: soft-binned histograms of R, G, B (16 bins each), HSV hue (18, circular, weighted by
 *   chroma so greys do not vote for a hue), saturation (8), value (8), CIELAB L*, a*, b* (10
 *   each, D65); and the means and standard deviations of R, G, B, L*, a*, b*.
 * - Edges, on luma at the working size and at half of it: gradient-magnitude histogram (10
 *   log-spaced bins), unsigned gradient-orientation histogram (12 bins, weighted by magnitude),
 *   and log mean magnitude, log Laplacian variance (sharpness) and log mean 3 × 3 residual
 *   (fine noise).
 * - Layout: a 4 × 4 grid of mean L*a*b* and mean gradient magnitude, and an 8 × 8 luma thumbnail
 *   with the global mean removed.
 * - Histograms enter as centred Hellinger vectors (√h minus its mean: zero for a flat histogram),
 *   blocks are weighted so the colour, edge and layout groups carry similar energy.
 * - Project with a fixed sparse random matrix (entries +1, −1, 0 with probabilities 1/6, 1/6,
 *   2/3; Achlioptas), drawn from `createRng(IMAGE_PROJECTION_SEED)` in row-major order, then
 *   L2-normalise. Random projection approximately preserves angles between feature vectors
 *   (Johnson–Lindenstrauss), and integer entries keep it bit-identical on every platform.
 */
import type { Matrix } from '../interface';
import { InputError } from '../errors';
import { createRng } from '../random';
import type { ImageEmbedder } from './embedder';
import { downsampleToFit, imagePixels, type ImageInput, type RgbImage } from '../io/image';
import { projectToUnitLength } from './randomProjection';

export const BUILTIN_IMAGE_DIMENSION = 768;
/** Seed of the projection matrix. Part of the embedder's definition: never change it silently. */
export const IMAGE_PROJECTION_SEED = 0x0c11_7b32;
export const BUILTIN_IMAGE_EMBEDDER_ID = 'emishift-builtin-image-v1 (colour/edge/layout statistics, projection seed 0x0c117b32, 768-d)';
/** Longer side of the working image (luma, edges, layout). */
export const BUILTIN_IMAGE_WORK_SIDE = 256;
/** Longer side of the copy the colour statistics are taken from. */
export const BUILTIN_IMAGE_COLOUR_SIDE = 128;

const RGB_BINS = 16;
const HUE_BINS = 18;
const SAT_BINS = 8;
const VAL_BINS = 8;
const LAB_BINS = 10;
const MAG_BINS = 10;
const ORI_BINS = 12;
const GRID = 4;
const THUMB = 8;

/** The length of the feature vector, fixed by the layout above. */
export const BUILTIN_IMAGE_FEATURES =
  3 * RGB_BINS + HUE_BINS + SAT_BINS + VAL_BINS + 3 * LAB_BINS + 12 + 2 * (MAG_BINS + ORI_BINS + 3) + GRID * GRID * 4 + THUMB * THUMB;

const SRGB_TO_LINEAR = (() => {
  const table = new Float64Array(256);
  for (let i = 0; i < 256; i++) {
    const c = i / 255;
    table[i] = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  }
  return table;
})();

function labF(t: number): number {
  const delta = 6 / 29;
  return t > delta * delta * delta ? Math.cbrt(t) : t / (3 * delta * delta) + 4 / 29;
}

/** Adds `weight` to the two bins nearest `value` ∈ [0, 1] (linear interpolation between centres). */
function softBin(hist: Float64Array, offset: number, bins: number, value: number, weight: number, circular: boolean): void {
  const position = value * bins - 0.5;
  let low = Math.floor(position);
  const fraction = position - low;
  let high = low + 1;
  if (circular) {
    low = (low + bins) % bins;
    high = high % bins;
  } else {
    if (low < 0) low = 0;
    if (high > bins - 1) high = bins - 1;
  }
  hist[offset + low] += weight * (1 - fraction);
  hist[offset + high] += weight * fraction;
}

/** √h − mean(√h) of a histogram normalised to sum 1 (all zeros stay zeros), times `scale`. */
function hellingerCentred(hist: Float64Array, offset: number, bins: number, scale: number, out: number[]): void {
  let total = 0;
  for (let i = 0; i < bins; i++) total += hist[offset + i];
  if (total <= 0) {
    for (let i = 0; i < bins; i++) out.push(0);
    return;
  }
  const roots = new Float64Array(bins);
  let mean = 0;
  for (let i = 0; i < bins; i++) {
    roots[i] = Math.sqrt(hist[offset + i] / total);
    mean += roots[i];
  }
  mean /= bins;
  for (let i = 0; i < bins; i++) out.push((roots[i] - mean) * scale);
}

/** Sobel statistics of a luma plane: histograms and scalar summaries, plus per-pixel magnitude. */
function edgeStatistics(
  luma: Float64Array,
  width: number,
  height: number,
): { magnitudeHist: Float64Array; orientationHist: Float64Array; meanMagnitude: number; laplacianVariance: number; residual: number; magnitude: Float64Array } {
  const magnitudeHist = new Float64Array(MAG_BINS);
  const orientationHist = new Float64Array(ORI_BINS);
  const magnitude = new Float64Array(width * height);
  if (width < 3 || height < 3) {
    return { magnitudeHist, orientationHist, meanMagnitude: 0, laplacianVariance: 0, residual: 0, magnitude };
  }
  // Sobel magnitudes on [0, 1] luma reach about 5.7; log spacing resolves the faint gradients
  // that blur leaves behind as well as strong edges.
  const magScale = 1 / Math.log1p(64 * 6);
  let sumMagnitude = 0;
  let sumLaplacian = 0;
  let sumLaplacianSq = 0;
  let sumResidual = 0;
  let count = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const a = luma[i - width - 1];
      const b = luma[i - width];
      const c = luma[i - width + 1];
      const d = luma[i - 1];
      const e = luma[i];
      const f = luma[i + 1];
      const g = luma[i + width - 1];
      const h = luma[i + width];
      const k = luma[i + width + 1];
      const gx = c + 2 * f + k - (a + 2 * d + g);
      const gy = g + 2 * h + k - (a + 2 * b + c);
      const m = Math.sqrt(gx * gx + gy * gy);
      magnitude[i] = m;
      sumMagnitude += m;
      softBin(magnitudeHist, 0, MAG_BINS, Math.min(1, Math.log1p(64 * m) * magScale), 1, false);
      if (m > 1e-6) {
        let theta = Math.atan2(gy, gx);
        if (theta < 0) theta += Math.PI;
        softBin(orientationHist, 0, ORI_BINS, Math.min(theta / Math.PI, 1 - 1e-12), m, true);
      }
      const laplacian = 4 * e - b - d - f - h;
      sumLaplacian += laplacian;
      sumLaplacianSq += laplacian * laplacian;
      sumResidual += Math.abs(e - (a + b + c + d + e + f + g + h + k) / 9);
      count++;
    }
  }
  const meanLaplacian = sumLaplacian / count;
  return {
    magnitudeHist,
    orientationHist,
    meanMagnitude: sumMagnitude / count,
    laplacianVariance: Math.max(0, sumLaplacianSq / count - meanLaplacian * meanLaplacian),
    residual: sumResidual / count,
    magnitude,
  };
}

function halveLuma(luma: Float64Array, width: number, height: number): { luma: Float64Array; width: number; height: number } {
  const w = Math.floor(width / 2);
  const h = Math.floor(height / 2);
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 2 * y * width + 2 * x;
      out[y * w + x] = (luma[i] + luma[i + 1] + luma[i + width] + luma[i + width + 1]) / 4;
    }
  }
  return { luma: out, width: w, height: h };
}

/** The feature vector (length `BUILTIN_IMAGE_FEATURES`) of a decoded image. */
export function builtinImageFeatures(decoded: RgbImage): Float64Array {
  const image = downsampleToFit(decoded, BUILTIN_IMAGE_WORK_SIDE);
  const { width, height, data } = image;
  const pixels = width * height;

  // Luma at the working size: edges, their layout, the thumbnail.
  const luma = new Float64Array(pixels);
  const thumb = new Float64Array(THUMB * THUMB);
  const thumbCount = new Float64Array(THUMB * THUMB);
  for (let y = 0; y < height; y++) {
    const ty = Math.floor((y * THUMB) / height);
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const value = (0.299 * data[3 * p] + 0.587 * data[3 * p + 1] + 0.114 * data[3 * p + 2]) / 255;
      luma[p] = value;
      const cell = ty * THUMB + Math.floor((x * THUMB) / width);
      thumb[cell] += value;
      thumbCount[cell] += 1;
    }
  }

  // Colour statistics need no fine detail, so they are taken from a copy of half that size:
  // a quarter of the per-pixel colour-space conversions for the same histograms.
  const colour = downsampleToFit(image, BUILTIN_IMAGE_COLOUR_SIDE);
  const colourPixels = colour.width * colour.height;
  const rgbHist = new Float64Array(3 * RGB_BINS);
  const hueHist = new Float64Array(HUE_BINS);
  const satHist = new Float64Array(SAT_BINS);
  const valHist = new Float64Array(VAL_BINS);
  const labHist = new Float64Array(3 * LAB_BINS);
  const sums = new Float64Array(6);
  const squares = new Float64Array(6);
  const gridLab = new Float64Array(GRID * GRID * 3);
  const gridCount = new Float64Array(GRID * GRID);

  for (let y = 0; y < colour.height; y++) {
    const gy = Math.floor((y * GRID) / colour.height);
    for (let x = 0; x < colour.width; x++) {
      const p = y * colour.width + x;
      const r8 = colour.data[3 * p];
      const g8 = colour.data[3 * p + 1];
      const b8 = colour.data[3 * p + 2];
      const r = r8 / 255;
      const g = g8 / 255;
      const b = b8 / 255;
      softBin(rgbHist, 0, RGB_BINS, r, 1, false);
      softBin(rgbHist, RGB_BINS, RGB_BINS, g, 1, false);
      softBin(rgbHist, 2 * RGB_BINS, RGB_BINS, b, 1, false);

      const max = Math.max(r, g, b);
      const min = Math.min(r, g, b);
      const chroma = max - min;
      if (chroma > 0) {
        let hue: number;
        if (max === r) hue = ((g - b) / chroma + 6) % 6;
        else if (max === g) hue = (b - r) / chroma + 2;
        else hue = (r - g) / chroma + 4;
        softBin(hueHist, 0, HUE_BINS, Math.min(hue / 6, 1 - 1e-12), chroma, true);
      }
      softBin(satHist, 0, SAT_BINS, max > 0 ? chroma / max : 0, 1, false);
      softBin(valHist, 0, VAL_BINS, max, 1, false);

      const rl = SRGB_TO_LINEAR[r8];
      const gl = SRGB_TO_LINEAR[g8];
      const bl = SRGB_TO_LINEAR[b8];
      const fx = labF((0.4124 * rl + 0.3576 * gl + 0.1805 * bl) / 0.95047);
      const fy = labF(0.2126 * rl + 0.7152 * gl + 0.0722 * bl);
      const fz = labF((0.0193 * rl + 0.1192 * gl + 0.9505 * bl) / 1.08883);
      const lightness = (116 * fy - 16) / 100;
      const labA = (500 * (fx - fy)) / 100;
      const labB = (200 * (fy - fz)) / 100;
      softBin(labHist, 0, LAB_BINS, Math.min(1, Math.max(0, lightness)), 1, false);
      softBin(labHist, LAB_BINS, LAB_BINS, Math.min(1, Math.max(0, (labA + 0.8) / 1.6)), 1, false);
      softBin(labHist, 2 * LAB_BINS, LAB_BINS, Math.min(1, Math.max(0, (labB + 0.8) / 1.6)), 1, false);

      sums[0] += r;
      sums[1] += g;
      sums[2] += b;
      sums[3] += lightness;
      sums[4] += labA;
      sums[5] += labB;
      squares[0] += r * r;
      squares[1] += g * g;
      squares[2] += b * b;
      squares[3] += lightness * lightness;
      squares[4] += labA * labA;
      squares[5] += labB * labB;

      const cell = gy * GRID + Math.floor((x * GRID) / colour.width);
      gridLab[3 * cell] += lightness;
      gridLab[3 * cell + 1] += labA;
      gridLab[3 * cell + 2] += labB;
      gridCount[cell] += 1;
    }
  }

  const out: number[] = [];
  // Colour group: 9 histograms and one block of moments.
  const colourScale = 1 / Math.sqrt(10);
  for (let c = 0; c < 3; c++) hellingerCentred(rgbHist, c * RGB_BINS, RGB_BINS, colourScale * 2, out);
  hellingerCentred(hueHist, 0, HUE_BINS, colourScale * 2, out);
  hellingerCentred(satHist, 0, SAT_BINS, colourScale * 2, out);
  hellingerCentred(valHist, 0, VAL_BINS, colourScale * 2, out);
  for (let c = 0; c < 3; c++) hellingerCentred(labHist, c * LAB_BINS, LAB_BINS, colourScale * 2, out);
  for (let c = 0; c < 6; c++) {
    const mean = sums[c] / colourPixels;
    const std = Math.sqrt(Math.max(0, squares[c] / colourPixels - mean * mean));
    // Centres chosen so a mid-grey image sits near the origin.
    const centre = c < 4 ? 0.5 : 0;
    out.push((mean - centre) * colourScale * 1.5, (std - 0.2) * colourScale * 3);
  }

  // Edge group: two scales, each two histograms and three scalars.
  const edgeScale = 1 / Math.sqrt(6);
  let fine: ReturnType<typeof edgeStatistics> | undefined;
  let level: { luma: Float64Array; width: number; height: number } = { luma, width, height };
  for (let s = 0; s < 2; s++) {
    const stats = edgeStatistics(level.luma, level.width, level.height);
    if (s === 0) fine = stats;
    hellingerCentred(stats.magnitudeHist, 0, MAG_BINS, edgeScale * 2, out);
    hellingerCentred(stats.orientationHist, 0, ORI_BINS, edgeScale * 2, out);
    out.push(
      (Math.log(stats.meanMagnitude + 1e-3) + 2) * edgeScale * 0.3,
      (Math.log(stats.laplacianVariance + 1e-5) + 5) * edgeScale * 0.2,
      (Math.log(stats.residual + 1e-4) + 4) * edgeScale * 0.3,
    );
    level = halveLuma(level.luma, level.width, level.height);
  }

  // Layout group: grid colour, grid edge energy, luma thumbnail.
  const layoutScale = 1 / Math.sqrt(3);
  const gridEdge = new Float64Array(GRID * GRID);
  const gridEdgeCount = new Float64Array(GRID * GRID);
  const magnitude = (fine as ReturnType<typeof edgeStatistics>).magnitude;
  for (let y = 0; y < height; y++) {
    const gy = Math.floor((y * GRID) / height);
    for (let x = 0; x < width; x++) {
      const cell = gy * GRID + Math.floor((x * GRID) / width);
      gridEdge[cell] += magnitude[y * width + x];
      gridEdgeCount[cell] += 1;
    }
  }
  const globalLuma = luma.reduce((sum, value) => sum + value, 0) / pixels;
  for (let cell = 0; cell < GRID * GRID; cell++) {
    const n = gridCount[cell];
    const l = n > 0 ? gridLab[3 * cell] / n : 0.5;
    const a = n > 0 ? gridLab[3 * cell + 1] / n : 0;
    const b = n > 0 ? gridLab[3 * cell + 2] / n : 0;
    out.push((l - 0.5) * layoutScale * 0.5, a * layoutScale, b * layoutScale);
  }
  for (let cell = 0; cell < GRID * GRID; cell++) {
    const n = gridEdgeCount[cell];
    const energy = n > 0 ? gridEdge[cell] / n : 0;
    out.push((Math.log(energy + 1e-3) + 2) * layoutScale * 0.1);
  }
  for (let cell = 0; cell < THUMB * THUMB; cell++) {
    const n = thumbCount[cell];
    const value = n > 0 ? thumb[cell] / n : globalLuma;
    out.push((value - globalLuma) * layoutScale * 0.6);
  }

  if (out.length !== BUILTIN_IMAGE_FEATURES) throw new Error(`builtin image features: produced ${out.length}, expected ${BUILTIN_IMAGE_FEATURES}`);
  return Float64Array.from(out);
}

let projection: Int8Array | undefined;

/** The 768 × F ternary projection matrix, row-major, drawn once from the documented seed. */
export function builtinImageProjection(): Int8Array {
  if (projection) return projection;
  const rng = createRng(IMAGE_PROJECTION_SEED);
  const matrix = new Int8Array(BUILTIN_IMAGE_DIMENSION * BUILTIN_IMAGE_FEATURES);
  for (let i = 0; i < matrix.length; i++) {
    const draw = rng.int(6);
    matrix[i] = draw === 0 ? 1 : draw === 1 ? -1 : 0;
  }
  projection = matrix;
  return matrix;
}

/** Projects a feature vector to a unit vector of `BUILTIN_IMAGE_DIMENSION`. */
export function projectImageFeatures(features: Float64Array, out: Float32Array = new Float32Array(BUILTIN_IMAGE_DIMENSION)): Float32Array {
  // Only a feature vector of exact zeros (never produced by real images, whose colour moments
  // are off-centre) has no direction; projectToUnitLength then returns a fixed unit vector.
  return projectToUnitLength(builtinImageProjection(), BUILTIN_IMAGE_DIMENSION, BUILTIN_IMAGE_FEATURES, features, out);
}

/** The built-in vector of one image: encoded bytes (PNG or JPEG) or decoded RGB pixels, which give the same vector. */
export function embedImageBuiltin(image: ImageInput, where?: string): Float32Array {
  return projectImageFeatures(builtinImageFeatures(imagePixels(image, { where })));
}

/**
 * Embeds images only: `embedTexts` rejects, because a text embedder must be chosen explicitly
 * (the built-in text embedder is `BuiltinTextEmbedder`).
 */
export class BuiltinImageEmbedder implements ImageEmbedder {
  readonly id = BUILTIN_IMAGE_EMBEDDER_ID;
  readonly family = 'builtin';
  readonly encoder = { model: 'emishift-builtin-image-v1', pooling: 'colour, edge and layout statistics, seeded random projection' };
  readonly dimension = BUILTIN_IMAGE_DIMENSION;

  async embedTexts(): Promise<Matrix> {
    throw new InputError('the built-in image embedder embeds images only; use the built-in text embedder for text');
  }

  async embedImages(images: readonly ImageInput[]): Promise<Matrix> {
    const data = new Float32Array(images.length * BUILTIN_IMAGE_DIMENSION);
    images.forEach((image, i) => {
      const vector = embedImageBuiltin(image, `image ${i}`);
      data.set(vector, i * BUILTIN_IMAGE_DIMENSION);
    });
    return { rows: images.length, cols: BUILTIN_IMAGE_DIMENSION, data };
  }
}
