import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import {
  IN_THE_WILD_EASY_POSITIONS,
  IN_THE_WILD_HARD_POSITIONS,
  inferSplitFormat,
  joinResponses,
  readSplitTable,
  parseCsv,
  readCombinedJsonl,
  readCsvSplit,
  readLlavaAnswers,
  readParquetSplit,
  selectRowsByPosition,
  splitNameFromFile,
} from '../../src/data/loaders';
import type { SplitRow, SplitTable } from '../../src/data/splitRow';
import { sharedDataPath } from '../support/fixtures';
import { parquetSplitBuffer, type ParquetSplitOptions } from '../support/parquetSplit';

type Writer = typeof import('hyparquet-writer');

const root = mkdtempSync(join(tmpdir(), 'emishift-loaders-'));
let counter = 0;
function tempFile(name: string, content: string | Uint8Array): string {
  const dir = join(root, String(counter++));
  require('node:fs').mkdirSync(dir);
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

const jsonl = (objects: unknown[]) => objects.map((object) => JSON.stringify(object)).join('\n') + '\n';
const row = (id: number | string, answer?: string) => ({
  question_id: id,
  question: `question ${id}?`,
  reference_answer: `reference ${id}`,
  ...(answer === undefined ? {} : { model_answer: answer }),
});

// ---------------------------------------------------------------- combined JSONL

test('combined JSONL: rows, blank lines and CRLF, optional model answers, name from the file', async () => {
  const text = [JSON.stringify(row(0, 'a0')), '', JSON.stringify(row(1, 'a1')) + '\r', JSON.stringify({ ...row('x', 'ax'), extra: 1 })].join('\n');
  const file = tempFile('llava_bench_coco_sr_4.jsonl', text);
  const table = await readSplitTable(file);
  assert.equal(table.name, 'llava_bench_coco_sr_4');
  assert.equal(table.source, file);
  assert.deepEqual(table.rows, [
    { question_id: 0, question: 'question 0?', reference_answer: 'reference 0', model_answer: 'a0' },
    { question_id: 1, question: 'question 1?', reference_answer: 'reference 1', model_answer: 'a1' },
    { question_id: 'x', question: 'question x?', reference_answer: 'reference x', model_answer: 'ax' },
  ]);
  const unanswered = readCombinedJsonl(tempFile('q.jsonl', jsonl([row(0), row(1)])));
  assert.equal(unanswered[0].model_answer, undefined);
  assert.equal('model_answer' in unanswered[1], false);
});

test('combined JSONL: malformed lines, missing columns, wrong types, duplicates and empty files name the file and line', () => {
  const bad = tempFile('bad.jsonl', `${JSON.stringify(row(0, 'a'))}\n\n{"question_id": 1, "question": \n`);
  assert.throws(() => readCombinedJsonl(bad), (error: Error) => {
    assert.equal(error.name, 'InputError');
    assert.match(error.message, /bad\.jsonl: line 3: not valid JSON \(/);
    assert.equal(error.message.includes('\n'), false);
    return true;
  });
  assert.throws(() => readCombinedJsonl(tempFile('arr.jsonl', '[1, 2]\n')), /arr\.jsonl: line 1: expected a JSON object, got an array/);
  assert.throws(
    () => readCombinedJsonl(tempFile('cols.jsonl', jsonl([row(0), { question_id: 1, question: 'q' }]))),
    /cols\.jsonl: line 2: missing column reference_answer \(found: question_id, question\)/,
  );
  assert.throws(
    () => readCombinedJsonl(tempFile('answers.jsonl', jsonl([{ question_id: 0, prompt: 'p', text: 't', answer_id: 'a', model_id: 'm', metadata: {} }]))),
    /missing columns question, reference_answer .*looks like a LLaVA answer file/,
  );
  assert.throws(() => readCombinedJsonl(tempFile('id.jsonl', jsonl([{ ...row(0), question_id: 1.5 }]))), /id\.jsonl: line 1: question_id: expected an integer or a non-empty string, got 1\.5/);
  assert.throws(() => readCombinedJsonl(tempFile('q.jsonl', jsonl([row(0), { ...row(1), question: 7 }]))), /q\.jsonl: line 2: question: expected a string, got a number/);
  assert.throws(() => readCombinedJsonl(tempFile('ans.jsonl', jsonl([row(0), { ...row(1), model_answer: ['x'] }]))), /line 2: model_answer: expected a string, got an array/);
  assert.throws(
    () => readCombinedJsonl(tempFile('mixed.jsonl', jsonl([row(0, 'a'), row(1, 'b'), row(2)]))),
    /mixed\.jsonl: model_answer is missing at line 3 but present at line 1/,
  );
  assert.throws(() => readCombinedJsonl(tempFile('dup.jsonl', jsonl([row(4), row(5), row('4')]))), /dup\.jsonl: duplicate question_id: 4 \(line 1, line 3\)/);
  assert.throws(() => readCombinedJsonl(tempFile('empty.jsonl', '')), /empty\.jsonl: empty file/);
  assert.throws(() => readCombinedJsonl(tempFile('blank.jsonl', '\n  \n')), /blank\.jsonl: empty file/);
  assert.throws(() => readCombinedJsonl(tempFile('bin.jsonl', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))), /bin\.jsonl: not valid UTF-8/);
  assert.throws(() => readCombinedJsonl(join(root, 'missing.jsonl')), /missing\.jsonl: file not found/);
});

// ---------------------------------------------------------------- CSV

test('CSV parser: quoted commas, doubled quotes, newlines inside quotes, CRLF, blank lines, no final newline', () => {
  const text = 'a,b,c\r\n1,"x, y","say ""hi"""\r\n\r\n2,"line one\r\nline two",\n3,,""';
  const records = parseCsv(text, 'mem.csv');
  assert.deepEqual(records, [
    { line: 1, fields: ['a', 'b', 'c'] },
    { line: 2, fields: ['1', 'x, y', 'say "hi"'] },
    { line: 4, fields: ['2', 'line one\r\nline two', ''] },
    { line: 6, fields: ['3', '', ''] },
  ]);
  assert.deepEqual(parseCsv('only\n', 'one.csv'), [{ line: 1, fields: ['only'] }]);
  assert.throws(() => parseCsv('a,b\n1,"open\n\n', 'u.csv'), /u\.csv: line 2: unterminated quoted field/);
  assert.throws(() => parseCsv('a,b\n1,x"y\n', 's.csv'), /s\.csv: line 2: unexpected '"' inside an unquoted field/);
  assert.throws(() => parseCsv('a,b\n1,"x"y\n', 'c.csv'), /c\.csv: line 2: unexpected character 'y' after a closing quote/);
});

test('CSV split: BOM, ids as numbers, extra columns ignored, empty model answers are absent', () => {
  const text =
    '\uFEFFquestion_id,question,reference_answer,model_answer,note\r\n' +
    '0,"What, exactly?","He said ""no"".","Two\nlines",n\r\n' +
    '007,q,r,a,n\r\n' +
    'abc,q2,r2,a2,\r\n';
  const rows = readCsvSplit(tempFile('split.csv', text));
  assert.deepEqual(rows, [
    { question_id: 0, question: 'What, exactly?', reference_answer: 'He said "no".', model_answer: 'Two\nlines' },
    { question_id: '007', question: 'q', reference_answer: 'r', model_answer: 'a' },
    { question_id: 'abc', question: 'q2', reference_answer: 'r2', model_answer: 'a2' },
  ]);
  const unanswered = readCsvSplit(tempFile('u.csv', 'question_id,question,reference_answer,model_answer\n1,q,r,\n2,q,r,\n'));
  assert.equal(unanswered.every((entry) => entry.model_answer === undefined), true);
});

test('CSV split errors: field counts, missing columns, header only, empty ids, duplicate header names', () => {
  assert.throws(() => readCsvSplit(tempFile('n.csv', 'question_id,question,reference_answer\n1,q,r\n2,"a,b"\n')), /n\.csv: line 3: 2 fields, expected 3/);
  assert.throws(() => readCsvSplit(tempFile('m.csv', 'question_id,question\n1,q\n')), /m\.csv: line 1: missing column reference_answer \(found: question_id, question\)/);
  assert.throws(() => readCsvSplit(tempFile('h.csv', 'question_id,question,reference_answer\r\n')), /h\.csv: no data rows after the header/);
  assert.throws(() => readCsvSplit(tempFile('e.csv', 'question_id,question,reference_answer\n1,q,r\n,q,r\n')), /e\.csv: line 3: question_id: expected an integer or a non-empty string, got an empty string/);
  assert.throws(() => readCsvSplit(tempFile('d.csv', 'question_id,question,question,reference_answer\n')), /d\.csv: line 1: column 'question' appears twice/);
  assert.throws(() => readCsvSplit(tempFile('z.csv', '')), /z\.csv: empty file/);
  // A record spanning lines is reported at the line it starts on.
  assert.throws(
    () => readCsvSplit(tempFile('span.csv', 'question_id,question,reference_answer\n1,"multi\nline",r\n1,q,r\n')),
    /span\.csv: duplicate question_id: 1 \(line 2, line 4\)/,
  );
});

// ---------------------------------------------------------------- parquet

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 9, 9]);
const parquetBuffer = (count: number, options: ParquetSplitOptions = {}) => parquetSplitBuffer(count, { images: Array.from({ length: count }, (_, i) => (i % 2 === 0 ? PNG : JPEG)), ...options });

test('parquet: struct images, INT64 ids and string columns, snappy (the writer default)', async () => {
  const bytes = parquetBuffer(3, { answers: true });
  const file = tempFile('llava_bench_in_the_wild_normal_German-00000-of-00001.parquet', bytes);
  const hyparquet = require('hyparquet') as typeof import('hyparquet');
  const codecs = hyparquet.parquetMetadata(bytes.buffer as ArrayBuffer).row_groups[0].columns.map((chunk) => chunk.meta_data?.codec);
  assert.deepEqual([...new Set(codecs)], ['SNAPPY']);
  const table = await readSplitTable(file);
  assert.equal(table.name, 'llava_bench_in_the_wild_normal_German');
  assert.deepEqual(
    table.rows.map(({ image, ...rest }) => rest),
    [0, 1, 2].map((i) => ({ question_id: 100 + i, question: `Describe image ${i} — ünïcödé`, reference_answer: `reference ${i}`, model_answer: `answer ${i}` })),
  );
  assert.deepEqual(table.rows.map((entry) => Array.from(entry.image ?? [])), [Array.from(PNG), Array.from(JPEG), Array.from(PNG)]);
});

test('parquet: raw binary images, no id column → 0-based row index, and gzip, brotli, uncompressed', async () => {
  const rows = await readParquetSplit(tempFile('raw.parquet', parquetBuffer(4, { image: 'binary', ids: false, codec: 'UNCOMPRESSED' })));
  assert.deepEqual(rows.map((entry) => entry.question_id), [0, 1, 2, 3]);
  assert.deepEqual(Array.from(rows[1].image ?? []), Array.from(JPEG));
  assert.equal(rows[0].model_answer, undefined);

  const gzip = await readParquetSplit(tempFile('gz.parquet', parquetBuffer(2, { codec: 'GZIP', compressors: { GZIP: (input) => gzipSync(input) } })));
  assert.equal(gzip[1].reference_answer, 'reference 1');
  const brotli = await readParquetSplit(tempFile('br.parquet', parquetBuffer(2, { image: 'none', codec: 'BROTLI', compressors: { BROTLI: (input) => brotliCompressSync(input) } })));
  assert.equal(brotli[0].question, 'Describe image 0 — ünïcödé');
  assert.equal(brotli[0].image, undefined);
});

/**
 * Rewrites the encoding of the first data page of `column` (thrift compact protocol): the writer
 * refuses to produce an encoding the reader lacks, so the file is made by patching a PLAIN one.
 */
function patchPageEncoding(bytes: Uint8Array, column: string, encodingId: number): Uint8Array {
  const hyparquet = require('hyparquet') as typeof import('hyparquet');
  const chunk = hyparquet.parquetMetadata(bytes.buffer as ArrayBuffer).row_groups[0].columns.find((entry) => entry.meta_data?.path_in_schema[0] === column);
  let pos = Number(chunk?.meta_data?.data_page_offset);
  const skipVarint = () => {
    while (bytes[pos++] & 0x80);
  };
  let field = 0;
  for (;;) {
    const header = bytes[pos++];
    field += header >> 4;
    if ((header & 0x0f) === 5) skipVarint();
    else if ((header & 0x0f) === 12) break;
    else throw new Error(`unexpected page header field type ${header & 0x0f}`);
  }
  const encodingField = field === 5 ? 2 : 4; // DataPageHeader vs DataPageHeaderV2
  let inner = 0;
  for (;;) {
    const header = bytes[pos++];
    inner += header >> 4;
    if ((header & 0x0f) !== 5) throw new Error('unexpected data page header field');
    if (inner === encodingField) {
      assert.equal(bytes[pos], 0, 'the page is PLAIN');
      bytes[pos] = encodingId * 2; // zigzag
      return bytes;
    }
    skipVarint();
  }
}

test('parquet errors: unsupported codec and encoding, missing columns, null image bytes, empty and corrupt files', async () => {
  const lzo = tempFile('lzo.parquet', parquetBuffer(2, { codec: 'LZO', compressors: { LZO: (input) => input } }));
  await assert.rejects(readParquetSplit(lzo), (error: Error) => {
    assert.equal(error.name, 'InputError');
    assert.match(error.message, /lzo\.parquet: column 'question_id': unsupported compression codec LZO \(readable: UNCOMPRESSED, SNAPPY, GZIP, BROTLI, ZSTD, LZ4, LZ4_RAW\)/);
    return true;
  });
  const groupVarInt = tempFile('enc.parquet', patchPageEncoding(parquetBuffer(2, { image: 'none', codec: 'UNCOMPRESSED' }), 'question', 1));
  await assert.rejects(readParquetSplit(groupVarInt), /enc\.parquet: column 'question': unsupported parquet encoding GROUP_VAR_INT/);

  const writer = require('hyparquet-writer') as Writer;
  const noReference = writer.parquetWriteBuffer({ columnData: [{ name: 'question', data: ['q'], type: 'STRING' }] });
  await assert.rejects(readParquetSplit(tempFile('cols.parquet', new Uint8Array(noReference))), /cols\.parquet: missing column reference_answer \(found: question\)/);
  const badId = writer.parquetWriteBuffer({
    columnData: [
      { name: 'question_id', data: [1.5], type: 'DOUBLE' },
      { name: 'question', data: ['q'], type: 'STRING' },
      { name: 'reference_answer', data: ['r'], type: 'STRING' },
    ],
  });
  await assert.rejects(readParquetSplit(tempFile('id.parquet', new Uint8Array(badId))), /id\.parquet: row index 0: question_id: expected an integer or a non-empty string, got 1\.5/);

  const pathOnly = tempFile('path.parquet', parquetBuffer(2, { images: [PNG, { bytes: null, path: 'photos/7.jpg' }] }));
  await assert.rejects(readParquetSplit(pathOnly), /path\.parquet: row index 1: image: no embedded image bytes \(only a path, 'photos\/7\.jpg'\)/);

  await assert.rejects(readParquetSplit(tempFile('empty.parquet', '')), /empty\.parquet: empty file, expected parquet/);
  const whole = parquetBuffer(2);
  await assert.rejects(readParquetSplit(tempFile('cut.parquet', whole.subarray(0, whole.length - 10))), /cut\.parquet: not a readable parquet file/);
  await assert.rejects(readSplitTable(tempFile('split.txt', 'x')), /split\.txt: cannot tell the format from the extension '\.txt'/);
});

// ---------------------------------------------------------------- answers and joins

const answerLine = (id: number | string, text: string) => ({ question_id: id, prompt: `question ${id}?`, text, answer_id: `ans-${id}`, model_id: 'llava-v1.5-13b', metadata: {} });

function table(ids: readonly (number | string)[], name = 'split'): SplitTable {
  return { name, source: `${name}.jsonl`, rows: ids.map((id) => row(id) as SplitRow) };
}

test('joinResponses: pairs by question_id in any order and replaces model answers; readSplitTable joins `responses`', async () => {
  const answers = tempFile('answers.jsonl', jsonl([answerLine(2, 'two'), answerLine(0, 'zero'), answerLine(1, 'one')]));
  const base = table([0, 1, 2]);
  base.rows[0].model_answer = 'old';
  const joined = joinResponses(base, answers);
  assert.deepEqual(joined.rows.map((entry) => entry.model_answer), ['zero', 'one', 'two']);
  assert.equal(base.rows[1].model_answer, undefined, 'the input table is left alone');
  assert.equal(readLlavaAnswers(answers)[0].model_id, 'llava-v1.5-13b');

  const split = tempFile('split.jsonl', jsonl([row(0), row(1), row(2)]));
  const loaded = await readSplitTable(split, { responses: answers });
  assert.deepEqual(loaded.rows.map((entry) => entry.model_answer), ['zero', 'one', 'two']);
  const positional = joinResponses(table([7, 8, 9]), answers, { match: 'position' });
  assert.deepEqual(positional.rows.map((entry) => entry.model_answer), ['two', 'zero', 'one']);
});

test('joinResponses errors: duplicate ids on either side, missing and extra answers (first few ids), and the opt-outs', () => {
  const dupAnswers = tempFile('dup.jsonl', jsonl([answerLine(0, 'a'), answerLine(1, 'b'), answerLine(0, 'c')]));
  assert.throws(() => joinResponses(table([0, 1]), dupAnswers), /dup\.jsonl: duplicate question_id: 0 \(line 1, line 3\)/);
  const answers = tempFile('a.jsonl', jsonl([answerLine(0, 'a'), answerLine(1, 'b')]));
  assert.throws(() => joinResponses(table([0, 1, 1]), answers), /split\.jsonl: duplicate question_id: 1 \(row 1, row 2\)/);

  const many = tempFile('many.jsonl', jsonl(Array.from({ length: 3 }, (_, i) => answerLine(i, `a${i}`))));
  assert.throws(
    () => joinResponses(table([0, 1, 2, 10, 11, 12, 13, 14, 15, 16]), many),
    /many\.jsonl: no answer for question_id 10, 11, 12, 13, 14 and 2 more \(7 of 10 queries of split split\)/,
  );
  assert.throws(() => joinResponses(table([0, 1]), many), /many\.jsonl: answers for question_id 2 that split split does not have \(1 of 3 answers\)/);
  assert.throws(() => joinResponses(table([1, 2, 3]), many), /no answer for question_id 3 .*; answers for question_id 0 that split/);

  assert.deepEqual(joinResponses(table([0, 1]), many, { ignoreExtraAnswers: true }).rows.map((entry) => entry.model_answer), ['a0', 'a1']);
  const dropped = joinResponses(table([0, 5, 2]), many, { dropUnanswered: true, ignoreExtraAnswers: true });
  assert.deepEqual(dropped.rows.map((entry) => entry.question_id), [0, 2]);
  assert.throws(() => joinResponses(table([0, 1]), many, { match: 'position' }), /many\.jsonl: has 3 answers but split split has 2 queries/);

  const malformed = tempFile('m.jsonl', `${JSON.stringify(answerLine(0, 'a'))}\n{"question_id": 1, "text": }\n`);
  assert.throws(() => joinResponses(table([0, 1]), malformed), /m\.jsonl: line 2: not valid JSON/);
  const noText = tempFile('nt.jsonl', jsonl([{ question_id: 0, prompt: 'p' }]));
  assert.throws(() => joinResponses(table([0]), noText), /nt\.jsonl: line 1: missing text/);
});

test('in-the-wild easy/hard: answers picked by position from the 60-answer file, as the reference pipeline does', () => {
  assert.equal(IN_THE_WILD_EASY_POSITIONS.length, 30);
  assert.equal(IN_THE_WILD_HARD_POSITIONS.length, 30);
  assert.deepEqual(
    [...IN_THE_WILD_EASY_POSITIONS, ...IN_THE_WILD_HARD_POSITIONS].sort((a, b) => a - b),
    Array.from({ length: 60 }, (_, i) => i),
    'easy and hard partition the 60 queries',
  );
  const sixty = tempFile('llava_bench_in_the_wild_German_llava-v1.5-13b.jsonl', jsonl(Array.from({ length: 60 }, (_, i) => answerLine(i, `answer ${i}`))));
  // The published 30-query splits have no id column, so their ids are the row index 0..29.
  const easy = joinResponses(table(Array.from({ length: 30 }, (_, i) => i), 'whatever'), sixty, { positions: 'easy' });
  assert.deepEqual(easy.rows.map((entry) => entry.model_answer), IN_THE_WILD_EASY_POSITIONS.map((p) => `answer ${p}`));
  const hardByName = joinResponses(table(Array.from({ length: 30 }, (_, i) => i), 'llava_bench_in_the_wild_hard_German'), sixty);
  assert.deepEqual(hardByName.rows.map((entry) => entry.model_answer), IN_THE_WILD_HARD_POSITIONS.map((p) => `answer ${p}`));
  const normal = joinResponses(table(Array.from({ length: 60 }, (_, i) => i), 'llava_bench_in_the_wild_normal_German'), sixty);
  assert.equal(normal.rows[59].model_answer, 'answer 59');

  assert.throws(
    () => joinResponses(table(Array.from({ length: 30 }, (_, i) => i), 'plain'), sixty),
    /answers for question_id 30, 31, .*; for the in-the-wild easy\/hard splits pass positions: 'easy' or 'hard'/,
  );
  const fiftyNine = tempFile('59.jsonl', jsonl(Array.from({ length: 59 }, (_, i) => answerLine(i, `a${i}`))));
  assert.throws(() => joinResponses(table([0]), fiftyNine, { positions: 'hard' }), /59\.jsonl: has 59 answers, but the hard in-the-wild subset indexes the 60-answer/);
  assert.throws(() => joinResponses(table([0, 1]), sixty, { positions: [3, 4, 5] }), /selecting positions 3, 4, 5 gives 3 answers but split split has 2 queries/);
  const ids = joinResponses(table([9, 8]), sixty, { positions: [9, 8], match: 'id' });
  assert.deepEqual(ids.rows.map((entry) => entry.model_answer), ['answer 9', 'answer 8']);
});

test('selectRowsByPosition keeps the given order and rejects out-of-range and repeated positions', () => {
  assert.deepEqual(selectRowsByPosition(['a', 'b', 'c', 'd'], [3, 0, 2]), ['d', 'a', 'c']);
  assert.throws(() => selectRowsByPosition(['a', 'b'], [0, 2]), /positions: position 2 \(entry 1\) is not a row: expected an integer in 0\.\.1/);
  assert.throws(() => selectRowsByPosition(['a', 'b'], [1.5]), /position 1\.5/);
  assert.throws(() => selectRowsByPosition(['a', 'b'], [1, 1]), /position 1 appears twice \(entry 1\)/);
});

test('format inference and split names from file names', () => {
  assert.equal(inferSplitFormat('a/b.JSONL'), 'jsonl');
  assert.equal(inferSplitFormat('b.json'), 'jsonl');
  assert.equal(inferSplitFormat('b.csv'), 'csv');
  assert.equal(inferSplitFormat('b.parquet'), 'parquet');
  assert.throws(() => inferSplitFormat('b.tsv'), /b\.tsv: cannot tell the format .*pass format: jsonl \| csv \| parquet/);
  assert.equal(splitNameFromFile('/d/llava_bench_coco_frost_5-00000-of-00001.parquet'), 'llava_bench_coco_frost_5');
  assert.equal(splitNameFromFile('x/llava_bench_coco.jsonl'), 'llava_bench_coco');
});

// ---------------------------------------------------------------- real data

test('the 35 shared synthetic JSONL splits load with 90 rows each and the same ids in the same order', async (t) => {
  const { path, skipReason } = sharedDataPath('llavabench-shift-text', 'synthetic');
  if (!path) return t.skip(skipReason);
  const files = readdirSync(path).filter((name) => name.endsWith('.jsonl')).sort();
  assert.equal(files.length, 35);
  let idOrder: string | undefined;
  for (const name of files) {
    const split = await readSplitTable(join(path, name));
    assert.equal(split.name, name.replace(/\.jsonl$/, ''));
    assert.equal(split.rows.length, 90, name);
    assert.equal(split.rows.every((entry) => typeof entry.model_answer === 'string' && entry.question.length > 0), true, name);
    const ids = JSON.stringify(split.rows.map((entry) => entry.question_id));
    idOrder ??= ids;
    assert.equal(ids, idOrder, `${name}: ids differ from the first split's`);
  }
});

test("the 'llava' format reads a LLaVA answer file as a split (prompt → question, text → reference) and joins model answers", async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { readSplitTable } = await import('../../src/data/loaders');
  const dir = mkdtempSync(join(tmpdir(), 'emishift-llava-'));
  const reference = join(dir, 'answers_gpt4.jsonl');
  const model = join(dir, 'answers_model.jsonl');
  writeFileSync(reference, [1, 2].map((id) => JSON.stringify({ question_id: id, prompt: `question ${id}`, text: `reference ${id}`, answer_id: `r${id}`, model_id: 'gpt4', metadata: {} })).join('\n') + '\n');
  writeFileSync(model, [2, 1].map((id) => JSON.stringify({ question_id: id, prompt: `question ${id}`, text: `model ${id}`, answer_id: `m${id}`, model_id: 'm', metadata: {} })).join('\n') + '\n');
  const table = await readSplitTable(reference, { format: 'llava', responses: model });
  assert.deepEqual(
    table.rows.map((row) => [row.question_id, row.question, row.reference_answer, row.model_answer]),
    [
      [1, 'question 1', 'reference 1', 'model 1'],
      [2, 'question 2', 'reference 2', 'model 2'],
    ],
  );
  writeFileSync(reference, JSON.stringify({ question_id: 1, text: 'reference 1' }) + '\n');
  await assert.rejects(readSplitTable(reference, { format: 'llava' }), /answers_gpt4\.jsonl: line 1: no "prompt"/);
});
