/** `run --config` on LLaVA-layout question files: each split's imageRoot, and its errors named by the config's field. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors';
import { readSplitFolder } from '../../src/data/splitDirectory';
import { runFromConfig } from '../../src/pipeline/runFromConfig';
import type { JobConfig } from '../../src/pipeline/jobConfig';
import { encodePng, scene } from '../embed/fixtures';

/** Four question files sharing the images in `dir/pictures/`: row i of split s shows picture (i + s) mod 6. */
function writeQuestionSplits(dir: string, rows = 10) {
  mkdirSync(join(dir, 'pictures'), { recursive: true });
  for (let p = 0; p < 6; p++) writeFileSync(join(dir, 'pictures', `p${p}.png`), encodePng(scene(24, 16, p)));
  return [0, 1, 2, 3].map((s) => {
    const lines = Array.from({ length: rows }, (_, i) =>
      JSON.stringify({ question_id: i, image: `p${(i + s) % 6}.png`, text: `what is in picture ${i}?`, reference_answer: `shape ${i % 3}`, model_answer: `shape ${(i + s) % 3}` }),
    );
    writeFileSync(join(dir, `split${s}.jsonl`), lines.join('\n') + '\n');
    return { file: `split${s}.jsonl`, imageRoot: 'pictures' };
  });
}

test('run --config reads image paths from each split’s imageRoot and embeds the images', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-question-job-'));
  const config: JobConfig = { id: 'split0', out: 'job', splits: writeQuestionSplits(dir), club: { epochs: 3, hiddenDim: 8 } };
  await runFromConfig(config, { configFile: join(dir, 'job.json'), warn: () => {} });
  for (const name of ["split0", "split1", "split2", "split3"]) {
    const folder = join(dir, 'job', 'embeddings', name);
    assert.ok(existsSync(join(folder, 'v.npy')), `${name} has image embeddings`);
    assert.equal(readSplitFolder(folder).image?.rows, 10);
  }
});

test('run --config: a bad imageRoot or a missing image names the config field or the question file row', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-question-job-bad-'));
  const file = join(dir, 'job.json');
  const splits = writeQuestionSplits(dir, 4);
  const refused = (config: JobConfig, message: string) =>
    assert.rejects(runFromConfig(config, { configFile: file, warn: () => {} }), (error: unknown) => error instanceof InputError && error.message === message, message);
  await refused(
    { id: 'split0', splits: [splits[0], { ...splits[1], imageRoot: 'nowhere' }, splits[2], splits[3]] },
    `${file}: splits[1].imageRoot: expected a folder of images, got '${join(dir, 'nowhere')}' (not found)`,
  );
  // Without imageRoot the default roots are the file's folder and split2/images/, which hold no p*.png.
  await refused(
    { id: 'split0', splits: [splits[0], splits[1], { file: 'split2.jsonl' }, splits[3]] },
    `${join(dir, 'split2.jsonl')}: line 1: image: image 'p2.png' not found (looked for ${join(dir, 'p2.png')}, ${join(dir, 'split2', 'images', 'p2.png')})`,
  );
  assert.equal(existsSync(join(dir, 'out')), false, 'nothing written before every split is read');
});
