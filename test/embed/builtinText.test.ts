import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BuiltinTextEmbedder,
  BUILTIN_TEXT_DIMENSION,
  embedTextBuiltin,
  murmur3Words,
  normalizeText,
} from '../../src/embed/builtinText';
import { rowDot, rowNorm } from './fixtures';

test('murmur3Words is MurmurHash3 x86_32 (SMHasher verification values)', () => {
  assert.equal(murmur3Words([], 0, 0, 0), 0);
  assert.equal(murmur3Words([], 0, 0, 1), 0x514e28b7);
  // The 4-byte key 21 43 65 87 is the little-endian word 0x87654321.
  assert.equal(murmur3Words([0x87654321], 0, 1, 0), 0xf55b516b);
  assert.equal(murmur3Words([0x87654321], 0, 1, 0x5082edee), 0x2362f9de);
});

test('pinned values of a known sentence: these pin the hash, seed, features and weighting', () => {
  // Computed once from the definition in builtinText.ts. If this fails, the embedding changed
  // for every user: bump BUILTIN_TEXT_EMBEDDER_ID (so caches re-embed) and re-pin deliberately.
  const vector = embedTextBuiltin('The quick brown fox jumps over the lazy dog.');
  assert.equal(vector.length, BUILTIN_TEXT_DIMENSION);
  const pinned: [number, number][] = [
    [302, 0.22335483133792877],
    [722, -0.18188758194446564],
    [453, 0.16586901247501373],
    [624, -0.16586901247501373],
    [0, 0],
  ];
  for (const [index, value] of pinned) assert.ok(Math.abs(vector[index] - value) < 1e-7, `component ${index}: ${vector[index]} vs ${value}`);
  assert.equal(vector.filter((v) => v !== 0).length, 127);
});

test('normalisation: NFKC, lower case, whitespace collapsed', () => {
  assert.equal(normalizeText('  Ｆｕｌｌ\u00a0WIDTH\t\n ﬁne  '), 'full width fine');
  const a = embedTextBuiltin('HELLO   World');
  const b = embedTextBuiltin('hello world');
  assert.deepEqual(Array.from(a), Array.from(b));
});

test('unit norm, deterministic, and similar strings closer than unrelated ones', async () => {
  const embedder = new BuiltinTextEmbedder();
  const texts = [
    'What is the man in the red shirt holding?',
    'What is the man in the red shirt holdng?', // a keyboard typo
    'What is the person in the red top holding?', // synonym replacement
    'Describe the weather forecast for next Tuesday in Berlin.',
  ];
  const first = await embedder.embedTexts(texts);
  const second = await embedder.embedTexts(texts);
  assert.deepEqual(Array.from(first.data), Array.from(second.data));
  assert.equal(first.rows, 4);
  assert.equal(first.cols, 768);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(rowNorm(first, i) - 1) < 1e-6);
  assert.ok(rowDot(first, 0, 1) > 0.8, `typo similarity ${rowDot(first, 0, 1)}`);
  assert.ok(rowDot(first, 0, 2) > rowDot(first, 0, 3) + 0.3, `synonym ${rowDot(first, 0, 2)} vs unrelated ${rowDot(first, 0, 3)}`);
  assert.ok(rowDot(first, 0, 3) < 0.4);
});

test('multilingual: Chinese, Arabic, Hindi, Greek, Korean give non-degenerate, distinct vectors', async () => {
  const texts = [
    '图片中的男人手里拿着什么？',
    'ماذا يحمل الرجل في الصورة؟',
    'तस्वीर में आदमी के हाथ में क्या है?',
    'Τι κρατάει ο άντρας στην εικόνα;',
    '사진 속 남자는 무엇을 들고 있나요?',
  ];
  const matrix = await new BuiltinTextEmbedder().embedTexts(texts);
  for (let i = 0; i < texts.length; i++) {
    const row = matrix.data.subarray(i * 768, (i + 1) * 768);
    assert.ok(Math.abs(rowNorm(matrix, i) - 1) < 1e-6);
    assert.ok(row.filter((v) => v !== 0).length >= 20, `${texts[i]}: only ${row.filter((v) => v !== 0).length} nonzero components`);
    for (let j = 0; j < i; j++) assert.ok(rowDot(matrix, i, j) < 0.5, `${texts[i]} vs ${texts[j]}: ${rowDot(matrix, i, j)}`);
  }
  // Within one script, a small edit stays close.
  const chinese = await new BuiltinTextEmbedder().embedTexts(['图片中的男人手里拿着什么？', '图片中的女人手里拿着什么？']);
  assert.ok(rowDot(chinese, 0, 1) > 0.6, `${rowDot(chinese, 0, 1)}`);
});

test('empty and whitespace-only texts get one fixed unit vector', async () => {
  const matrix = await new BuiltinTextEmbedder().embedTexts(['', '   \n', 'x']);
  assert.ok(Math.abs(rowNorm(matrix, 0) - 1) < 1e-6);
  assert.ok(Math.abs(rowDot(matrix, 0, 1) - 1) < 1e-6);
  assert.ok(rowDot(matrix, 0, 2) < 0.5);
  const none = await new BuiltinTextEmbedder().embedTexts([]);
  assert.equal(none.rows, 0);
});
