/** `embed` and `collect` on LLaVA-layout question files whose image field is a path. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSplitFolder } from '../../src/data/splitDirectory';
import { encodePng, scene } from '../embed/fixtures';
import { startFakeServer } from '../serve/fakeOpenAiServer';
import { emishiftProcess } from '../support/cliProcess';


const emishift = emishiftProcess;

/** `dir/<name>.jsonl` in the LLaVA layout, its images in `dir/<name>/images/` (the default root). */
function questionFile(dir: string, name: string, images: readonly string[], options: { answers?: boolean; write?: boolean } = {}): string {
  const folder = join(dir, name, 'images');
  mkdirSync(folder, { recursive: true });
  const lines = images.map((image, i) => ({
    question_id: i,
    image,
    text: `question ${i} about ${image}?`,
    ...(options.answers === false ? {} : { reference_answer: `reference ${i}`, model_answer: `model ${i}` }),
  }));
  if (options.write !== false) images.forEach((image, i) => writeFileSync(join(folder, image), encodePng(scene(20, 14, i))));
  const file = join(dir, `${name}.jsonl`);
  writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
  return file;
}

test('embed: a question file with image paths gives v.npy; a missing image is one line and leaves nothing behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-embed-questions-'));
  const file = questionFile(dir, 'coco', ['a.png', 'b.png', 'c.png']);
  const out = join(dir, 'out');
  const ok = await emishift('embed', '--split', file, '--out', out, '--json');
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).images, true);
  assert.equal(readSplitFolder(out).image?.rows, 3);

  const broken = questionFile(dir, 'broken', ['a.png', 'b.png']);
  const missing = join(dir, 'broken', 'images', 'gone.png');
  writeFileSync(broken, readFileSync(broken, 'utf8').replace('"b.png"', '"gone.png"'));
  const failed = await emishift('embed', '--split', broken, '--out', join(dir, 'broken-out'));
  assert.equal(failed.code, 2);
  assert.equal(failed.stderr, `emishift embed: ${broken}: line 2: image: image 'gone.png' not found (looked for ${join(dir, 'gone.png')}, ${missing})\n`);
  assert.equal(existsSync(join(dir, 'broken-out')), false);

  const outside = await emishift('embed', '--split', file, '--out', join(dir, 'x'), '--image-root', join(dir, 'nowhere'));
  assert.equal(outside.code, 2);
  assert.equal(outside.stderr, `emishift embed: --image-root: expected a folder of images, got '${join(dir, 'nowhere')}' (not found)\n`);

  writeFileSync(file, readFileSync(file, 'utf8').replace('"a.png"', '"../../secret.png"'));
  const traversal = await emishift('embed', '--split', file, '--out', join(dir, 'y'));
  assert.equal(traversal.code, 2);
  assert.equal(traversal.stderr, `emishift embed: ${file}: line 1: image: image '../../secret.png' is outside the image root ${dir} or ${join(dir, 'coco', 'images')} (after resolving '..'); image paths must stay inside the root\n`);
});

test('embed --split-dir: a bad image in a later split stops before that split is written (no partial .npy)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-embed-dir-'));
  const splits = join(dir, 'splits');
  mkdirSync(splits);
  questionFile(splits, 'a_first', ['p.png', 'q.png']);
  const second = questionFile(splits, 'b_second', ['p.png', 'q.png']);
  writeFileSync(join(splits, 'b_second', 'images', 'q.png'), 'truncated');
  const root = join(dir, 'root');
  const result = await emishift('embed', '--split-dir', splits, '--out', root);
  assert.equal(result.code, 2);
  // The last stderr line is the error (a stage line may come before it).
  assert.match(result.stderr.split('\n').at(-2) + '\n', new RegExp(`^emishift embed: ${second.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 2: image: image 'q.png' \\(.*q\\.png\\): unrecognised image format \\(first bytes [0-9a-f ]+\\); only PNG and JPEG are supported\\n$`));
  assert.ok(existsSync(join(root, 'a_first', 'v.npy')));
  assert.equal(existsSync(join(root, 'b_second')), false);
  assert.deepEqual(readdirSync(root), ['a_first']);
});

test('collect: a LLaVA question file without reference answers; each image is sent with its question', async () => {
  const server = await startFakeServer();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'emishift-collect-questions-'));
    const file = questionFile(dir, 'questions', ['x.png', 'y.png'], { answers: false });
    const out = join(dir, 'answers.jsonl');
    const result = await emishift('collect', '--split', file, '--out', out, '--base-url', server.baseUrl, '--model', 'm', '--retries', '0', '--json');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).answered, 2);
    const answers = server.requests.filter((request) => !request.isJudge);
    assert.deepEqual(answers.map((request) => [request.text, request.hasImage]).sort(), [
      ['question 0 about x.png?', true],
      ['question 1 about y.png?', true],
    ]);
    // The image sent is the file's bytes.
    const sent = answers.find((request) => request.text.includes('x.png'))?.body.messages?.at(-1)?.content;
    const url = Array.isArray(sent) ? sent.find((part) => part.type === 'image_url')?.image_url?.url : undefined;
    assert.equal(url, `data:image/png;base64,${readFileSync(join(dir, 'questions', 'images', 'x.png')).toString('base64')}`);
    const missing = questionFile(dir, 'nofiles', ['z.png'], { answers: false, write: false });
    const failed = await emishift('collect', '--split', missing, '--out', join(dir, 'none.jsonl'), '--base-url', server.baseUrl, '--model', 'm');
    assert.equal(failed.code, 2);
    assert.equal(failed.stderr, `emishift collect: ${missing}: line 1: image: image 'z.png' not found (looked for ${join(dir, 'z.png')}, ${join(dir, 'nofiles', 'images', 'z.png')})\n`);
    assert.equal(existsSync(join(dir, 'none.jsonl')), false);
  } finally {
    await server.close();
  }
});
