import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSplitTable } from '../../src/data/loaders';
import { readSplitReference } from '../../src/data/splitReference';
import { defaultImageRoots } from '../../src/data/imagePaths';
import { InputError } from '../../src/errors';
import { encodePng, scene } from '../embed/fixtures';

const jsonl = (objects: unknown[]) => objects.map((object) => JSON.stringify(object)).join('\n') + '\n';

/** A folder with `name` (a question file) and PNGs `a.png`, `b.png` under `imagesAt` (relative to the folder). */
function questionFolder(imagesAt: string): { dir: string; images: string; png: Record<string, Uint8Array> } {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-questions-'));
  const images = join(dir, imagesAt);
  mkdirSync(images, { recursive: true });
  const png = { 'a.png': encodePng(scene(16, 12, 1)), 'b.png': encodePng(scene(16, 12, 2)) };
  for (const [name, bytes] of Object.entries(png)) writeFileSync(join(images, name), bytes);
  return { dir, images, png };
}

const llavaLine = (id: number, image: string, extra: Record<string, unknown> = {}) => ({ question_id: id, image, text: `question ${id}?`, category: 'conv', ...extra });

function rejects(promise: Promise<unknown>, message: string): Promise<void> {
  return assert.rejects(promise, (error: Error) => {
    assert.ok(error instanceof InputError, String(error));
    assert.equal(error.message, message);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

test('a LLaVA question file: text is the question, images are read from <stem>/images/ once per file', async () => {
  const { dir, images, png } = questionFolder('questions/images');
  const file = join(dir, 'questions.jsonl');
  writeFileSync(file, jsonl([llavaLine(0, 'a.png', { reference_answer: 'r0' }), llavaLine(1, 'b.png', { reference_answer: 'r1' }), llavaLine(2, 'a.png', { reference_answer: 'r2' })]));
  assert.deepEqual(defaultImageRoots(file), [dir, join(dir, 'questions', 'images')]);
  const table = await readSplitTable(file);
  assert.deepEqual(
    table.rows.map((row) => [row.question_id, row.question, row.reference_answer]),
    [
      [0, 'question 0?', 'r0'],
      [1, 'question 1?', 'r1'],
      [2, 'question 2?', 'r2'],
    ],
  );
  assert.deepEqual(table.rows[0].image, png['a.png']);
  assert.deepEqual(table.rows[1].image, png['b.png']);
  assert.deepEqual(table.rows[1].image, new Uint8Array(readFileSync(join(images, "b.png"))));
  // One read per distinct file: rows naming the same image share its bytes.
  assert.equal(table.rows[2].image, table.rows[0].image);
  // A file in the question file's own folder comes first.
  writeFileSync(join(dir, 'a.png'), png['b.png']);
  assert.deepEqual((await readSplitTable(file)).rows[0].image, png['b.png']);
});

test('a CSV question file with an explicit image root; paths with folders and ./ stay inside it', async () => {
  const { dir, png } = questionFolder('pictures/set1');
  const file = join(dir, 'split.csv');
  writeFileSync(file, 'question_id,image,question,reference_answer\n7,set1/a.png,what?,ref\n8,./set1/../set1/b.png,and?,ref2\n');
  const table = await readSplitTable(file, { imageRoot: join(dir, 'pictures') });
  assert.deepEqual(table.rows.map((row) => row.question_id), [7, 8]);
  assert.deepEqual(table.rows[0].image, png['a.png']);
  assert.deepEqual(table.rows[1].image, png['b.png']);
  // Relative to the working directory for the library; readSplitReference resolves it against its base.
  const viaReference = await readSplitReference({ split: 'split.csv', imageRoot: 'pictures' }, { baseDirectory: dir });
  assert.deepEqual(viaReference.rows[1].image, png['b.png']);
});

test('image paths outside the root are refused: .., absolute paths, symbolic links', async () => {
  const { dir } = questionFolder('root');
  const root = join(dir, 'root');
  writeFileSync(join(dir, 'secret.png'), encodePng(scene(8, 8, 3)));
  symlinkSync(join(dir, 'secret.png'), join(root, 'link.png'));
  symlinkSync(dir, join(root, 'up'));
  const file = join(dir, 'q.jsonl');
  const attempt = async (image: string) => {
    writeFileSync(file, jsonl([{ question_id: 1, question: 'q', reference_answer: 'r', image: 'a.png' }, { question_id: 2, question: 'q', reference_answer: 'r', image }]));
    return readSplitTable(file, { imageRoot: root });
  };
  await rejects(attempt('../secret.png'), `${file}: line 2: image: image '../secret.png' is outside the image root ${root} (after resolving '..'); image paths must stay inside the root`);
  await rejects(attempt('a/../../secret.png'), `${file}: line 2: image: image 'a/../../secret.png' is outside the image root ${root} (after resolving '..'); image paths must stay inside the root`);
  const absolute = join(dir, 'secret.png');
  await rejects(attempt(absolute), `${file}: line 2: image: image '${absolute}' is outside the image root ${root} (an absolute path); image paths must stay inside the root`);
  await rejects(
    attempt('link.png'),
    `${file}: line 2: image: image 'link.png' resolves to ${absolute}, outside the image root ${root} (through a symbolic link); image paths must stay inside the root`,
  );
  await rejects(attempt('up/secret.png'), `${file}: line 2: image: image 'up/secret.png' resolves to ${absolute}, outside the image root ${root} (through a symbolic link); image paths must stay inside the root`);
  // An absolute path inside the root is a path inside the root.
  assert.equal((await attempt(join(root, 'b.png'))).rows.length, 2);
});

test('a missing, empty, non-image or truncated image is one line naming the row and the path', async () => {
  const { dir, images } = questionFolder('q/images');
  const file = join(dir, 'q.jsonl');
  const write = (image: unknown) => writeFileSync(file, jsonl([llavaLine(0, 'a.png', { reference_answer: 'r' }), llavaLine(5, image as string, { reference_answer: 'r' })]));
  write('missing.png');
  await rejects(readSplitTable(file), `${file}: line 2: image: image 'missing.png' not found (looked for ${join(dir, 'missing.png')}, ${join(images, 'missing.png')})`);
  writeFileSync(join(images, 'empty.png'), new Uint8Array(0));
  write('empty.png');
  await rejects(readSplitTable(file), `${file}: line 2: image: image 'empty.png' (${join(images, 'empty.png')}): empty image (0 bytes)`);
  writeFileSync(join(images, 'notes.png'), 'not an image at all');
  write('notes.png');
  await rejects(readSplitTable(file), `${file}: line 2: image: image 'notes.png' (${join(images, 'notes.png')}): unrecognised image format (first bytes 6e 6f 74 20 61 6e 20 69); only PNG and JPEG are supported`);
  const whole = readFileSync(join(images, 'b.png'));
  writeFileSync(join(images, 'cut.png'), whole.subarray(0, 40));
  write('cut.png');
  await rejects(readSplitTable(file), `${file}: line 2: image: image 'cut.png' (${join(images, 'cut.png')}): truncated PNG image: the chunk at byte 33 is cut off (40 bytes in all)`);
  mkdirSync(join(images, 'folder.png'));
  write('folder.png');
  await rejects(readSplitTable(file), `${file}: line 2: image: image 'folder.png' (${join(images, 'folder.png')}): is a directory, expected a file`);
  write(12);
  await rejects(readSplitTable(file), `${file}: line 2: image: expected an image path (a string), got a number`);
  await rejects(readSplitTable(file, { imageRoot: join(dir, 'nowhere') }), `imageRoot: expected a folder of images, got '${join(dir, 'nowhere')}' (not found)`);
  await rejects(readSplitTable(file, { imageRoot: file }), `imageRoot: expected a folder of images, got '${file}' (not a folder)`);
});

test('reference answers: required unless asked otherwise, with a hint for a LLaVA question file; answer files are not question files', async () => {
  const { dir } = questionFolder('q/images');
  const file = join(dir, 'q.jsonl');
  writeFileSync(file, jsonl([llavaLine(0, 'a.png'), llavaLine(1, 'b.png')]));
  await rejects(
    readSplitTable(file),
    `${file}: line 1: missing column reference_answer (found: question_id, image, text, category); expected question_id, question, reference_answer and optionally model_answer; a LLaVA question file has no reference answers: add reference_answer to every row (collecting answers needs none)`,
  );
  const questions = await readSplitTable(file, { referenceAnswers: 'optional' });
  assert.deepEqual(questions.rows.map((row) => [row.question, row.reference_answer, row.image !== undefined]), [
    ['question 0?', '', true],
    ['question 1?', '', true],
  ]);
  // A LLaVA answer file (prompt, text, answer_id) keeps its hint: its text is an answer, not a question.
  const answers = join(dir, 'answers.jsonl');
  writeFileSync(answers, jsonl([{ question_id: 0, prompt: 'p', text: 'an answer', answer_id: 'x', image: 'a.png' }]));
  await assert.rejects(readSplitTable(answers), /this looks like a LLaVA answer file/);
  // CSV: an empty image cell is a row without an image; the layout is the header's.
  const csv = join(dir, 'q.csv');
  writeFileSync(csv, 'question_id,image,text,reference_answer\n1,a.png,first?,r\n2,,second?,r\n');
  const table = await readSplitTable(csv, { imageRoot: join(dir, 'q', 'images') });
  assert.deepEqual(table.rows.map((row) => [row.question, row.image !== undefined]), [
    ['first?', true],
    ['second?', false],
  ]);
});

test('text fields: a caption kept per row (strings, or lists joined by newlines); a row without it is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-fields-'));
  const file = join(dir, 's.jsonl');
  writeFileSync(file, jsonl([{ question_id: 1, question: 'q', reference_answer: 'r', caption: 'a dog' }, { question_id: 2, question: 'q', reference_answer: 'r', caption: ['a cat', 'on a mat'] }]));
  const table = await readSplitTable(file, { textFields: ['caption'] });
  assert.deepEqual(table.rows.map((row) => row.fields), [{ caption: 'a dog' }, { caption: 'a cat\non a mat' }]);
  assert.equal((await readSplitTable(file)).rows[0].fields, undefined, 'kept only when asked for');
  writeFileSync(file, jsonl([{ question_id: 1, question: 'q', reference_answer: 'r', caption: 'a dog' }, { question_id: 2, question: 'q', reference_answer: 'r' }]));
  await rejects(readSplitTable(file, { textFields: ['caption'] }), `${file}: line 2: caption: expected a string or a list of strings, got nothing (the field is missing)`);
  const csv = join(dir, 's.csv');
  writeFileSync(csv, 'question_id,question,reference_answer,caption\n1,q,r,"a red, round ball"\n');
  assert.deepEqual((await readSplitTable(csv, { textFields: ['caption'] })).rows[0].fields, { caption: 'a red, round ball' });
});
