/**
 * Inputs of the small answering model: an image becomes one patch of pixels per grid cell, a
 * question a bag of the words seen in training. Both are deliberately plain so that what a shift
 * does to the input is what the model sees: blur smears the patches, and a misspelt or unseen
 * word simply drops out of the bag.
 */
import { InputError } from '../errors';
import { areaAverageWeights, type RgbaImage } from '../io/image';
import { COLUMNS, ROWS } from './scenes';

export const GRID_ROWS = ROWS.length;
export const GRID_COLUMNS = COLUMNS.length;
export const GRID_CELLS = GRID_ROWS * GRID_COLUMNS;
/** Side of each cell's patch: 12 keeps a small shape several pixels wide at 64×64. */
export const CELL_PIXELS = 12;
export const CELL_FEATURES = CELL_PIXELS * CELL_PIXELS * 3;
export const IMAGE_FEATURES = GRID_CELLS * CELL_FEATURES;

/**
 * Area-averaged resampling to a (3·CELL_PIXELS)² grid, laid out cell by cell in reading order as
 * [cell][y][x][rgb] and centred on zero. Area averaging (not point sampling) is what makes the
 * cell boundaries of any input size line up with the scene's 3×3 grid.
 */
export function imageFeatures(image: RgbaImage, out: Float32Array = new Float32Array(IMAGE_FEATURES), offset = 0): Float32Array {
  const { width, height, rgba } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || rgba.length !== width * height * 4) {
    throw new InputError(`expected a ${width}×${height} RGBA image of ${width * height * 4} bytes, got ${rgba.length}`, { field: 'image' });
  }
  const side = CELL_PIXELS * GRID_COLUMNS;
  const sideY = CELL_PIXELS * GRID_ROWS;
  const wx = areaAverageWeights(width, side);
  const wy = areaAverageWeights(height, sideY);
  // Horizontal pass first: each source row shrinks to `side` columns.
  const rows = new Float32Array(height * side * 3);
  for (let y = 0; y < height; y++) {
    for (let ox = 0; ox < side; ox++) {
      const { start, weights } = wx[ox];
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < weights.length; k++) {
        const at = (y * width + start + k) * 4;
        r += rgba[at] * weights[k];
        g += rgba[at + 1] * weights[k];
        b += rgba[at + 2] * weights[k];
      }
      const to = (y * side + ox) * 3;
      rows[to] = r;
      rows[to + 1] = g;
      rows[to + 2] = b;
    }
  }
  for (let oy = 0; oy < sideY; oy++) {
    const { start, weights } = wy[oy];
    const cellRow = Math.floor(oy / CELL_PIXELS);
    const py = oy % CELL_PIXELS;
    for (let ox = 0; ox < side; ox++) {
      const cell = cellRow * GRID_COLUMNS + Math.floor(ox / CELL_PIXELS);
      const px = ox % CELL_PIXELS;
      const to = offset + cell * CELL_FEATURES + (py * CELL_PIXELS + px) * 3;
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let k = 0; k < weights.length; k++) sum += rows[((start + k) * side + ox) * 3 + c] * weights[k];
        out[to + c] = sum / 255 - 0.5;
      }
    }
  }
  return out;
}

/** Lower-case words; punctuation separates words and is otherwise dropped. */
export function tokenize(question: string): string[] {
  return question.toLowerCase().split(/[^a-z0-9']+/).filter((word) => word.length > 0);
}

/** The words of the training questions, sorted so the vocabulary does not depend on query order. */
export function buildVocabulary(questions: readonly string[]): string[] {
  const words = new Set<string>();
  for (const question of questions) for (const word of tokenize(question)) words.add(word);
  return [...words].sort();
}

/** Word presence (0/1) over the vocabulary; words outside it leave no trace. */
export function questionFeatures(
  vocabulary: ReadonlyMap<string, number>,
  question: string,
  out: Float32Array = new Float32Array(vocabulary.size),
  offset = 0,
): Float32Array {
  for (const word of tokenize(question)) {
    const index = vocabulary.get(word);
    if (index !== undefined) out[offset + index] = 1;
  }
  return out;
}

/** First-layer receptive field: 4×4 pixels every 2, so each cell becomes a 6×6 map. */
export const PATCH_SIZE = 4;
export const PATCH_STRIDE = 2;
export const PATCH_GRID = CELL_PIXELS / PATCH_STRIDE;
export const PATCH_FEATURES = PATCH_SIZE * PATCH_SIZE * 3;
export const IMAGE_PATCH_FEATURES = GRID_CELLS * PATCH_GRID * PATCH_GRID * PATCH_FEATURES;

/**
 * The patches of the first, strided convolution, unrolled once here rather than in tfjs on every
 * step (tfjs-wasm has no conv2d filter gradient, and slicing patches out per step is slow).
 * Patches stop at the cell border, padded with zero (mid-grey), so each cell is seen on its own.
 * Layout: [cell][py][px][ky][kx][rgb].
 */
export function cellPatches(features: Float32Array, featuresOffset = 0, out: Float32Array = new Float32Array(IMAGE_PATCH_FEATURES), offset = 0): Float32Array {
  const pad = (PATCH_SIZE - PATCH_STRIDE) / 2;
  let to = offset;
  for (let cell = 0; cell < GRID_CELLS; cell++) {
    const base = featuresOffset + cell * CELL_FEATURES;
    for (let py = 0; py < PATCH_GRID; py++) {
      for (let px = 0; px < PATCH_GRID; px++) {
        for (let ky = 0; ky < PATCH_SIZE; ky++) {
          const y = py * PATCH_STRIDE - pad + ky;
          for (let kx = 0; kx < PATCH_SIZE; kx++) {
            const x = px * PATCH_STRIDE - pad + kx;
            const inside = y >= 0 && y < CELL_PIXELS && x >= 0 && x < CELL_PIXELS;
            for (let c = 0; c < 3; c++) out[to++] = inside ? features[base + (y * CELL_PIXELS + x) * 3 + c] : 0;
          }
        }
      }
    }
  }
  return out;
}

/**
 * Mean absolute difference between horizontally and vertically adjacent pixels, per cell, at the
 * image's own resolution (0–1). Pixel noise averages away in the cell patches; this keeps the
 * one number that tells a noisy background from a plain one.
 */
export function cellRoughness(image: RgbaImage, out: Float32Array = new Float32Array(GRID_CELLS), offset = 0): Float32Array {
  const { width, height, rgba } = image;
  const sums = new Float64Array(GRID_CELLS);
  const counts = new Float64Array(GRID_CELLS);
  for (let y = 0; y < height - 1; y++) {
    const row = Math.min(GRID_ROWS - 1, Math.floor((y * GRID_ROWS) / height));
    for (let x = 0; x < width - 1; x++) {
      const cell = row * GRID_COLUMNS + Math.min(GRID_COLUMNS - 1, Math.floor((x * GRID_COLUMNS) / width));
      const at = (y * width + x) * 4;
      const right = at + 4;
      const below = at + width * 4;
      for (let c = 0; c < 3; c++) sums[cell] += Math.abs(rgba[right + c] - rgba[at + c]) + Math.abs(rgba[below + c] - rgba[at + c]);
      counts[cell] += 6;
    }
  }
  for (let cell = 0; cell < GRID_CELLS; cell++) out[offset + cell] = counts[cell] === 0 ? 0 : sums[cell] / counts[cell] / 255;
  return out;
}
