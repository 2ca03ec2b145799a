/**
 * Procedurally drawn scenes for a self-made multimodal benchmark. A Scene is the ground truth
 * (background plus 1–5 coloured shapes on a 3×3 grid); `renderScene` turns it into RGBA pixels
 * (`RgbaImage`, from io/image), which the shifts transform and the embedders read as they are,
 * and `encodeScenePng` into PNG bytes for files. Everything is a pure function of the seed: rendering
 * uses only integer and basic floating-point arithmetic (no Math.sin/log, whose last bits may
 * differ between engines), so the same seed gives the same pixels on every machine.
 */
import { InputError } from '../errors';
import { encodePng, type RgbaImage } from '../io/image';
import { createRng, type RandomSource } from '../random';

/** The shapes a scene's objects take. */
export const SHAPES = ['circle', 'square', 'triangle'] as const;
/** One of `SHAPES`. */
export type Shape = (typeof SHAPES)[number];

/** The colours a scene's objects take. */
export const COLOURS = ['red', 'green', 'blue', 'yellow', 'purple', 'orange'] as const;
/** One of `COLOURS`: an object's colour, drawn from `PALETTE`. */
export type ColourName = (typeof COLOURS)[number];

/** The sizes a scene's objects take. */
export const SIZES = ['small', 'large'] as const;
/** One of `SIZES`. */
export type Size = (typeof SIZES)[number];

export const ROWS = ['top', 'middle', 'bottom'] as const;
/** A row of the 3×3 grid objects sit on. */
export type Row = (typeof ROWS)[number];

export const COLUMNS = ['left', 'center', 'right'] as const;
/** A column of the 3×3 grid objects sit on. */
export type Column = (typeof COLUMNS)[number];

/** The textures of a scene's background. */
export const TEXTURES = ['plain', 'stripes', 'checker', 'noise'] as const;
/** One of `TEXTURES`. */
export type Texture = (typeof TEXTURES)[number];

/** Neutral tones plus pale tints of the object palette, so objects always stand out. */
export const BACKGROUND_COLOURS = ['white', 'gray', 'black', ...COLOURS] as const;
/** One of `BACKGROUND_COLOURS`. */
export type BackgroundColour = (typeof BACKGROUND_COLOURS)[number];

export type Rgb = readonly [number, number, number];

/** Saturated and far apart in RGB (pairwise distance > 90) so a model, or a test, can tell them apart. */
export const PALETTE: Readonly<Record<ColourName, Rgb>> = {
  red: [220, 40, 40],
  green: [40, 170, 60],
  blue: [40, 80, 220],
  yellow: [240, 220, 40],
  purple: [140, 60, 190],
  orange: [245, 130, 20],
};

const NEUTRALS: Readonly<Record<'white' | 'gray' | 'black', Rgb>> = {
  white: [245, 245, 245],
  gray: [150, 150, 150],
  black: [25, 25, 25],
};

/** The grid cell an object occupies, the position questions ask about ("top left"). */
export interface GridPosition {
  row: Row;
  column: Column;
}

/** One object of a scene: the attributes questions ask about, and where in its cell it is drawn. */
export interface SceneObject {
  shape: Shape;
  colour: ColourName;
  size: Size;
  position: GridPosition;
  /**
   * Displacement of the centre inside its cell, each in [-1, 1] as a fraction of the room the
   * object has to move; it keeps layouts from looking identical without leaving the cell.
   */
  offset: { dx: number; dy: number };
}

/** A scene's background: texture and colour, and the seed of its noise. */
export interface Background {
  texture: Texture;
  colour: BackgroundColour;
  /** Seeds the per-pixel noise texture (unused by the other textures), so rendering needs only the scene. */
  noiseSeed: number;
}

/** A scene's ground truth, from which its image is drawn and its questions are answered. */
export interface Scene {
  /** The seed `generateScene` drew it from. */
  seed: number;
  background: Background;
  /** In reading order (top-left to bottom-right), each in its own grid cell. */
  objects: SceneObject[];
}

/** How many objects `generateScene` may place. */
export interface SceneOptions {
  /** Fewest objects (default 1). */
  minObjects?: number | undefined;
  /** Most objects (default 5, at most 9: one per grid cell). */
  maxObjects?: number | undefined;
}

/** The size `renderScene` and `scenePng` draw at. */
export interface RenderOptions {
  /** Pixels, an integer in [16, 4096] (default 64). */
  width?: number | undefined;
  /** Pixels, an integer in [16, 4096] (default 64). */
  height?: number | undefined;
}

/** Where an object lands in a width×height image: its centre and half-extent in pixels. */
export interface ObjectGeometry {
  cx: number;
  cy: number;
  half: number;
}

const GRID_CELLS = ROWS.length * COLUMNS.length;
/** Half-extent as a fraction of the cell's smaller side; large stays clear of the cell border. */
const HALF_FRACTION: Readonly<Record<Size, number>> = { small: 0.22, large: 0.4 };
/** Offsets come from this set so scenes print and compare cleanly. */
const OFFSET_STEPS = [-1, -0.5, 0, 0.5, 1];
const MIN_SIDE = 16;
const MAX_SIDE = 4096;
const SUPERSAMPLE = 4;

function checkInteger(value: number, field: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InputError(`must be an integer in [${min}, ${max}], got ${value}`, { field });
  }
}

function pick<T>(rng: RandomSource, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

/** A seeded random scene: 1–5 objects (shape, colour, size) in grid cells on a background. */
export function generateScene(seed: number, options: SceneOptions = {}): Scene {
  checkInteger(seed, 'seed', 0, 0xffffffff);
  const minObjects = options.minObjects ?? 1;
  const maxObjects = options.maxObjects ?? 5;
  checkInteger(minObjects, 'minObjects', 1, GRID_CELLS);
  checkInteger(maxObjects, 'maxObjects', 1, GRID_CELLS);
  if (minObjects > maxObjects) {
    throw new InputError(`minObjects (${minObjects}) exceeds maxObjects (${maxObjects})`, { field: 'minObjects' });
  }
  const rng = createRng(seed);
  const background: Background = {
    texture: pick(rng, TEXTURES),
    colour: pick(rng, BACKGROUND_COLOURS),
    noiseSeed: rng.int(0x100000000),
  };
  const count = minObjects + rng.int(maxObjects - minObjects + 1);
  // Partial Fisher–Yates over the 9 cells: distinct cells are what guarantees no overlap.
  const cells = Array.from({ length: GRID_CELLS }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(GRID_CELLS - i);
    [cells[i], cells[j]] = [cells[j], cells[i]];
  }
  const chosen = cells.slice(0, count).sort((a, b) => a - b);
  // An object the background's own colour would be camouflaged on its tint.
  const objectColours = COLOURS.filter((colour) => colour !== background.colour);
  const objects = chosen.map((cell): SceneObject => ({
    shape: pick(rng, SHAPES),
    colour: pick(rng, objectColours),
    size: pick(rng, SIZES),
    position: { row: ROWS[Math.floor(cell / COLUMNS.length)], column: COLUMNS[cell % COLUMNS.length] },
    offset: { dx: pick(rng, OFFSET_STEPS), dy: pick(rng, OFFSET_STEPS) },
  }));
  return { seed, background, objects };
}

/** Where an object is drawn in an image of the given size: its centre and radius in pixels. */
export function objectGeometry(object: SceneObject, width: number, height: number): ObjectGeometry {
  const cellWidth = width / COLUMNS.length;
  const cellHeight = height / ROWS.length;
  const half = HALF_FRACTION[object.size] * Math.min(cellWidth, cellHeight);
  const column = COLUMNS.indexOf(object.position.column);
  const row = ROWS.indexOf(object.position.row);
  // 0.8 of the slack leaves a margin so anti-aliased edges never touch a neighbouring cell.
  const cx = (column + 0.5) * cellWidth + object.offset.dx * 0.8 * (cellWidth / 2 - half);
  const cy = (row + 0.5) * cellHeight + object.offset.dy * 0.8 * (cellHeight / 2 - half);
  return { cx, cy, half };
}

/** Point-in-shape; the triangle points up with its base on the bounding box's bottom edge. */
export function insideShape(shape: Shape, geometry: ObjectGeometry, x: number, y: number): boolean {
  const { cx, cy, half } = geometry;
  const dx = x - cx;
  const dy = y - cy;
  switch (shape) {
    case 'circle':
      return dx * dx + dy * dy <= half * half;
    case 'square':
      return Math.abs(dx) <= half && Math.abs(dy) <= half;
    case 'triangle':
      return dy >= -half && dy <= half && Math.abs(dx) <= (dy + half) / 2;
  }
}

/** The RGB colour of an object colour name. */
export function objectRgb(colour: ColourName): Rgb {
  return PALETTE[colour];
}

/** The RGB colour of a background name. */
export function backgroundRgb(colour: BackgroundColour): Rgb {
  if (colour === 'white' || colour === 'gray' || colour === 'black') return NEUTRALS[colour];
  const [r, g, b] = PALETTE[colour];
  // A pale tint: recognisably that colour, yet far from every saturated object colour.
  return [Math.round(r + (255 - r) * 0.6), Math.round(g + (255 - g) * 0.6), Math.round(b + (255 - b) * 0.6)];
}

/** The pattern's second tone: darker for light bases, lighter for black so the pattern stays visible. */
function secondTone(base: Rgb): Rgb {
  const light = base[0] + base[1] + base[2] > 200;
  return light
    ? [Math.round(base[0] * 0.78), Math.round(base[1] * 0.78), Math.round(base[2] * 0.78)]
    : [base[0] + 50, base[1] + 50, base[2] + 50];
}

function clampByte(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : value;
}

function paintBackground(rgba: Uint8Array, width: number, height: number, background: Background): void {
  const base = backgroundRgb(background.colour);
  const other = secondTone(base);
  // Pattern periods scale with the image so a 64px and a 256px render show the same scene.
  const period = Math.max(2, Math.round(Math.min(width, height) / 8));
  const rng = createRng(background.noiseSeed);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      let colour: Rgb = base;
      if (background.texture === 'stripes') {
        colour = Math.floor(y / period) % 2 === 0 ? base : other;
      } else if (background.texture === 'checker') {
        colour = (Math.floor(x / period) + Math.floor(y / period)) % 2 === 0 ? base : other;
      }
      if (background.texture === 'noise') {
        const jitter = rng.int(61) - 30;
        rgba[at] = clampByte(base[0] + jitter);
        rgba[at + 1] = clampByte(base[1] + jitter);
        rgba[at + 2] = clampByte(base[2] + jitter);
      } else {
        rgba[at] = colour[0];
        rgba[at + 1] = colour[1];
        rgba[at + 2] = colour[2];
      }
      rgba[at + 3] = 255;
    }
  }
}

/** Draws a scene as an RGBA image (anti-aliased), deterministic for a given scene and size. */
export function renderScene(scene: Scene, options: RenderOptions = {}): RgbaImage {
  const width = options.width ?? 64;
  const height = options.height ?? 64;
  checkInteger(width, 'width', MIN_SIDE, MAX_SIDE);
  checkInteger(height, 'height', MIN_SIDE, MAX_SIDE);
  const rgba = new Uint8Array(width * height * 4);
  paintBackground(rgba, width, height, scene.background);
  const samples = SUPERSAMPLE * SUPERSAMPLE;
  for (const object of scene.objects) {
    const geometry = objectGeometry(object, width, height);
    const colour = objectRgb(object.colour);
    const x0 = Math.max(0, Math.floor(geometry.cx - geometry.half) - 1);
    const x1 = Math.min(width - 1, Math.ceil(geometry.cx + geometry.half) + 1);
    const y0 = Math.max(0, Math.floor(geometry.cy - geometry.half) - 1);
    const y1 = Math.min(height - 1, Math.ceil(geometry.cy + geometry.half) + 1);
    for (let py = y0; py <= y1; py++) {
      for (let px = x0; px <= x1; px++) {
        // Coverage from a regular sub-pixel grid: anti-aliasing that is exact and reproducible.
        let covered = 0;
        for (let sy = 0; sy < SUPERSAMPLE; sy++) {
          for (let sx = 0; sx < SUPERSAMPLE; sx++) {
            const x = px + (sx + 0.5) / SUPERSAMPLE;
            const y = py + (sy + 0.5) / SUPERSAMPLE;
            if (insideShape(object.shape, geometry, x, y)) covered++;
          }
        }
        if (covered === 0) continue;
        const at = (py * width + px) * 4;
        for (let channel = 0; channel < 3; channel++) {
          rgba[at + channel] = Math.round((rgba[at + channel] * (samples - covered) + colour[channel] * covered) / samples);
        }
      }
    }
  }
  return { width, height, rgba };
}

// PNG encoding lives in io/image; re-exported until the benchmark job hands pixels to the embedder.

/** Convenience for the benchmark: the scene for a seed, drawn and encoded. */
export function encodeScenePng(scene: Scene, options: RenderOptions = {}): Uint8Array {
  return encodePng(renderScene(scene, options));
}
