/**
 * Reading LLaVA-layout question files whose images are paths: rows per second through
 * `readSplitTable` (each distinct image read and checked to decode once), for a file whose rows
 * share a few images (as LLaVA-Bench's questions share their scenes) and one where every row has
 * its own. The ratio says what reading each distinct file once saves.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSplitTable } from '../src/data/loaders';
import { encodePng, type RgbaImage } from '../src/io/image';
import { median } from './median';

function picture(seed: number, side: number): RgbaImage {
  const rgba = new Uint8Array(side * side * 4);
  for (let i = 0; i < side * side; i++) {
    const x = i % side;
    const y = Math.floor(i / side);
    rgba.set([(x * 7 + seed * 31) & 255, (y * 5 + seed * 17) & 255, ((x ^ y) + seed) & 255, 255], i * 4);
  }
  return { width: side, height: side, rgba };
}

async function timeRead(rows: number, images: number, side: number): Promise<object> {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-bench-questions-'));
  try {
    const folder = join(dir, 'questions', 'images');
    mkdirSync(folder, { recursive: true });
    for (let k = 0; k < images; k++) writeFileSync(join(folder, `${k}.png`), encodePng(picture(k, side)));
    const lines = Array.from({ length: rows }, (_, i) => JSON.stringify({ question_id: i, image: `${i % images}.png`, text: `question ${i}?`, reference_answer: 'r' }));
    const file = join(dir, 'questions.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const seconds: number[] = [];
    for (let r = 0; r < 3; r++) {
      const started = performance.now();
      await readSplitTable(file);
      seconds.push((performance.now() - started) / 1000);
    }
    const best = Math.min(...seconds);
    return { rows, distinct_images: images, image_side: side, seconds_median: Number(median(seconds).toFixed(3)), rows_per_second: Math.round(rows / best), distinct_images_per_second: Math.round(images / best) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Two layouts at 224 × 224 PNGs: 2000 rows over 200 images, and 500 rows over 500 images. */
export async function runQuestionFileBenchmark(): Promise<object> {
  return { shared_images: await timeRead(2000, 200, 224), one_image_per_row: await timeRead(500, 500, 224) };
}
