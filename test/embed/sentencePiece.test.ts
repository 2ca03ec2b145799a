/**
 * The SentencePiece unigram tokenizer on a small hand-made vocabulary (no weights needed):
 * normalisation, the best-scoring segmentation, unknown characters, reserved ids, and the
 * repair of the colon pieces' scores. The real vocabulary's ids are checked in pretrained.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeForSentencePiece, repairVocabularyScores, SentencePieceTokenizer, UNKNOWN_PENALTY } from '../../src/embed/sentencePiece';
import { isInputError } from '../../src/errors';
import { createRng } from '../../src/random';
import { unprunedEncode } from '../support/unprunedSentencePiece';

// ids 0–5 reserved, as in USE-lite's vocabulary.
const VOCABULARY: [string, number][] = [
  ['�', 0],
  ['<s>', 0],
  ['</s>', 0],
  ['extra_token_id_1', 0],
  ['extra_token_id_2', 0],
  ['extra_token_id_3', 0],
  ['▁', -2], // 6
  ['a', -3], // 7
  ['b', -3], // 8
  ['▁ab', -4], // 9: beats ▁ + a + b (−8)
  ['▁a', -3.5], // 10
  ['c', -3], // 11
  ['abc', -3.9], // 12: ▁ + abc (−5.9) beats ▁ab + c (−7)
  ['fi', -3], // 13
];

const tokenizer = new SentencePieceTokenizer(VOCABULARY);

test('normalisation: NFKC, whitespace variants to one space, trimmed', () => {
  assert.equal(normalizeForSentencePiece('  a\tb\n\u200bc\u3000 ﬁ  '), 'a b c fi');
  assert.equal(normalizeForSentencePiece('\u2581a'), 'a', 'a literal ▁ is a space');
  assert.equal(normalizeForSentencePiece(' \t\n'), '');
});

test('the segmentation with the largest summed score wins', () => {
  assert.deepEqual(tokenizer.encode('ab'), [9]);
  assert.deepEqual(tokenizer.encode('abc'), [6, 12]);
  assert.deepEqual(tokenizer.encode('a b'), [10, 6, 8]);
  assert.deepEqual(tokenizer.encode('  ab  \t ab '), [9, 9], 'extra whitespace is removed');
  assert.deepEqual(tokenizer.encode('ﬁ'), [6, 13], 'NFKC turns the ligature into f + i');
});

test('unknown characters: id 0, a run of them once, scored below every piece', () => {
  assert.deepEqual(tokenizer.encode('a😹😹b'), [10, 0, 8]);
  assert.deepEqual(tokenizer.encode('😹 😹'), [6, 0, 6, 0], 'separate runs stay separate');
  assert.equal(UNKNOWN_PENALTY, 10);
});

test('reserved ids never match text; empty text has no pieces', () => {
  assert.deepEqual(tokenizer.encode('<s>'), [6, 0]);
  assert.deepEqual(tokenizer.encode(''), []);
  assert.deepEqual(tokenizer.encode('   '), []);
});

test('a piece listed twice keeps its better score', () => {
  const twice = new SentencePieceTokenizer([...VOCABULARY, ['▁c', -9], ['▁c', -1]]);
  assert.deepEqual(twice.encode('c'), [VOCABULARY.length + 1]);
});

test('colon pieces get the mean of their intact neighbours; other scores are untouched', () => {
  const broken: [string, number | null][] = [...VOCABULARY.slice(0, 8), [':', null], ['x', -5], [':30', 30], ['y', -6]];
  const repaired = repairVocabularyScores(broken as [string, number][]);
  assert.equal(repaired[8][1], (-3 + -5) / 2);
  assert.equal(repaired[10][1], (-5 + -6) / 2);
  assert.equal(repaired[9][1], -5);
  assert.deepEqual(repaired.slice(0, 8), VOCABULARY.slice(0, 8));
});

test('a malformed vocabulary is an InputError naming the entry', () => {
  assert.throws(
    () => new SentencePieceTokenizer([...VOCABULARY, ['z', null as unknown as number]]),
    (error: unknown) => isInputError(error) && /entry 14 is not a \[piece, score\] pair/.test((error as Error).message),
  );
  assert.throws(() => new SentencePieceTokenizer(VOCABULARY.slice(0, 6)), (error: unknown) => isInputError(error));
});

test('the prefix-pruned search gives the unpruned search\'s ids on 2,000 random texts', () => {
  // Texts over the vocabulary's characters plus an unknown one ('x') and spaces, 1–14 long:
  // every multi-character piece, its prefixes and near misses ('ac', 'abx', 'f') occur often.
  const alphabet = 'aabbcfix  ';
  const rng = createRng(12345);
  const next = () => rng.next();
  for (let k = 0; k < 2000; k++) {
    const length = 1 + Math.floor(next() * 14);
    const text = Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    assert.deepEqual(tokenizer.encode(text), unprunedEncode(VOCABULARY, text), JSON.stringify(text));
  }
});
