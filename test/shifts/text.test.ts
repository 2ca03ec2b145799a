import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors';
import {
  applyTextShift,
  KEYBOARD_NEIGHBOURS,
  keyboardTypos,
  matchCase,
  synonymReplacement,
  synonymsOf,
  TEXT_SHIFT_NAMES,
  THESAURUS,
  wordOrderNoise,
} from '../../src/shifts/index';
import { editDistance } from '../../src/editDistance';

const QUESTIONS = [
  'What is the color of the large car shown in the picture? Describe its shape and position.',
  'How many people can you see in the image, and what are they holding in their hands?',
  'Describe the scene in detail: which objects are on the left side of the table, and why?',
  "Is the small dog sitting near the red door? Explain what the man in the background is doing.",
];
const SEEDS = [1, 2, 99];
const upper = (c: string): boolean => c !== c.toLowerCase();


const words = (text: string): string[] => text.match(/[A-Za-z]+(?:['’-][A-Za-z]+)*/g) ?? [];
const skeleton = (text: string): string => text.replace(/[A-Za-z]+(?:['’-][A-Za-z]+)*/g, 'W');

function fractionChanged(original: string, shifted: string): number {
  const a = words(original);
  const b = words(shifted);
  assert.equal(b.length, a.length);
  return a.filter((w, i) => w !== b[i]).length / a.length;
}

test('severity 0 is the identity for every text shift', () => {
  for (const name of TEXT_SHIFT_NAMES) for (const q of QUESTIONS) assert.equal(applyTextShift(name, q, 0, 4), q);
});

test('same seed gives the same text; other seeds differ', () => {
  for (const name of TEXT_SHIFT_NAMES) {
    const severity = name === 'synonym_replacement' ? 4 : 3;
    const q = QUESTIONS.join(' ');
    assert.equal(applyTextShift(name, q, severity, 8), applyTextShift(name, q, severity, 8));
    const outs = new Set([1, 2, 3, 4].map((seed) => applyTextShift(name, q, severity, seed)));
    assert.ok(outs.size > 1, name);
  }
});

test('strings are immutable, but arrays of inputs are left as they were', () => {
  const batch = [...QUESTIONS];
  for (const name of TEXT_SHIFT_NAMES) batch.map((q) => applyTextShift(name, q, 1, 3));
  assert.deepEqual(batch, QUESTIONS);
});

test('keyboard typos: edit distance grows from severity 1 to 3 (and on to 5)', () => {
  for (const seed of SEEDS) {
    const q = QUESTIONS.join(' ');
    const [d1, d3, d5] = [1, 3, 5].map((s) => editDistance(q, keyboardTypos(q, s, seed)));
    assert.ok(d1 > 0 && d1 < d3 && d3 < d5, `seed ${seed}: ${d1}, ${d3}, ${d5}`);
  }
});

test('keyboard typos replace letters only with QWERTY neighbours, keeping case', () => {
  const q = QUESTIONS.join(' ');
  for (const seed of SEEDS) {
    const out = keyboardTypos(q, 5, seed, { operations: ['replace'] });
    assert.equal(out.length, q.length);
    let changed = 0;
    for (let i = 0; i < q.length; i++) {
      if (out[i] === q[i]) continue;
      changed++;
      const neighbours = KEYBOARD_NEIGHBOURS.get(q[i].toLowerCase());
      assert.ok(neighbours?.includes(out[i].toLowerCase()), `${q[i]} → ${out[i]}`);
      // digits have no case, so only letter-to-letter replacements must keep it
      if (/[A-Za-z]/.test(out[i])) assert.equal(upper(out[i]), upper(q[i]), `case of ${q[i]} → ${out[i]}`);
    }
    assert.ok(changed > 0);
    // punctuation and spaces are never touched
    assert.equal(out.replace(/[A-Za-z0-9]/g, ''), q.replace(/[A-Za-z0-9]/g, ''));
  }
});

test('keyboard typos insert a neighbour of the key just typed, and deletions only shorten', () => {
  const q = QUESTIONS.join(' ');
  const out = keyboardTypos(q, 5, 3, { operations: ['insert'] });
  assert.ok(out.length > q.length);
  let i = 0;
  for (let j = 0; j < out.length; j++) {
    if (i < q.length && out[j] === q[i]) {
      i++;
      continue;
    }
    assert.ok(KEYBOARD_NEIGHBOURS.get(q[i - 1].toLowerCase())?.includes(out[j].toLowerCase()), `inserted ${out[j]} after ${q[i - 1]}`);
  }
  assert.equal(i, q.length);
  const shorter = keyboardTypos(q, 5, 3, { operations: ['delete'] });
  assert.ok(shorter.length < q.length);
  assert.equal(editDistance(q, shorter), q.length - shorter.length);
});

test('QWERTY neighbour table is symmetric and local', () => {
  assert.deepEqual([...(KEYBOARD_NEIGHBOURS.get('s') ?? [])].sort(), ['a', 'd', 'e', 'w', 'x', 'z']);
  assert.deepEqual([...(KEYBOARD_NEIGHBOURS.get('q') ?? [])].sort(), ['1', '2', 'a', 'w']);
  for (const [key, neighbours] of KEYBOARD_NEIGHBOURS) {
    for (const n of neighbours) assert.ok(KEYBOARD_NEIGHBOURS.get(n)?.includes(key), `${key} ↔ ${n}`);
  }
});

test('synonym replacement: the fraction of words changed grows with severity (sr_1 < sr_4 < sr_7)', () => {
  for (const seed of SEEDS) {
    for (const severities of [
      [1, 3, 5],
      [1, 4, 7],
    ]) {
      const q = QUESTIONS.join(' ');
      const [f1, f2, f3] = severities.map((s) => fractionChanged(q, synonymReplacement(q, s, seed)));
      assert.ok(f1 > 0 && f1 < f2 && f2 < f3, `seed ${seed} ${severities}: ${f1}, ${f2}, ${f3}`);
    }
  }
});

test('synonym replacement changes about severity/10 of the words when enough are known', () => {
  const q = 'big red car near small blue house show image picture describe colour shape left right top bottom';
  const n = words(q).length;
  assert.ok(words(q).every((w) => synonymsOf(w).length > 0));
  for (const severity of [1, 4, 7, 10]) {
    assert.equal(fractionChanged(q, synonymReplacement(q, severity, 5)), Math.round((severity / 10) * n) / n);
  }
});

test('synonyms come from the thesaurus and keep punctuation, spacing and capitalisation', () => {
  for (const seed of SEEDS) {
    for (const q of QUESTIONS) {
      const out = synonymReplacement(q, 7, seed);
      assert.equal(skeleton(out), skeleton(q));
      const before = words(q);
      const after = words(out);
      for (let i = 0; i < before.length; i++) {
        if (before[i] === after[i]) continue;
        assert.ok(synonymsOf(before[i]).includes(after[i].toLowerCase()), `${before[i]} → ${after[i]}`);
        assert.equal(after[i][0] === after[i][0].toUpperCase(), before[i][0] === before[i][0].toUpperCase());
      }
    }
  }
  assert.equal(synonymReplacement('IMAGE!', 10, 1), synonymReplacement('IMAGE!', 10, 1).toUpperCase());
  assert.match(synonymReplacement('IMAGE!', 10, 1), /^(PICTURE|PHOTO|PHOTOGRAPH)!$/);
  assert.equal(synonymReplacement('zyx qwv, 123.', 10, 1), 'zyx qwv, 123.');
});

test('thesaurus: a few hundred lower-case single words, none its own synonym', () => {
  assert.ok(THESAURUS.size >= 250, `${THESAURUS.size} entries`);
  for (const [word, synonyms] of THESAURUS) {
    assert.match(word, /^[a-z]+$/);
    assert.ok(synonyms.length > 0);
    for (const s of synonyms) {
      assert.match(s, /^[a-z]+(-[a-z]+)?$/);
      assert.notEqual(s, word);
    }
  }
  for (const word of ['red', 'round', 'left', 'many', 'describe', 'show', 'see', 'what', 'picture', 'image']) {
    assert.ok(THESAURUS.has(word), word);
  }
  assert.deepEqual(synonymsOf('Picture'), synonymsOf('picture'));
});

test('matchCase copies ALL CAPS, Capitalised and lower case', () => {
  assert.equal(matchCase('RED', 'crimson'), 'CRIMSON');
  assert.equal(matchCase('Red', 'crimson'), 'Crimson');
  assert.equal(matchCase('red', 'crimson'), 'crimson');
  assert.equal(matchCase('A', 'one'), 'One');
});

test('word-order noise permutes words locally, keeps punctuation and grows with severity', () => {
  const q = QUESTIONS.join(' ');
  for (const seed of SEEDS) {
    const outs = [1, 3, 5].map((s) => wordOrderNoise(q, s, seed));
    for (const out of outs) {
      assert.equal(skeleton(out), skeleton(q));
      assert.deepEqual([...words(out)].sort(), [...words(q)].sort());
    }
    const [f1, f3, f5] = outs.map((out) => fractionChanged(q, out));
    assert.ok(f1 > 0 && f1 < f3 && f3 < f5, `seed ${seed}: ${f1}, ${f3}, ${f5}`);
  }
  assert.equal(wordOrderNoise('Hello.', 5, 1), 'Hello.');
});

test('bad severities, seeds, names and inputs are InputErrors', () => {
  assert.throws(() => keyboardTypos('abc', 6, 1), InputError);
  assert.throws(() => keyboardTypos('abc', -1, 1), InputError);
  assert.throws(() => synonymReplacement('abc', 11, 1), InputError);
  assert.throws(() => synonymReplacement('abc', 1.5, 1), InputError);
  assert.throws(() => wordOrderNoise('abc', 6, 1), InputError);
  assert.throws(() => keyboardTypos('abc', 1, NaN), InputError);
  assert.throws(() => keyboardTypos('abc', 1, 1, { operations: [] }), InputError);
  assert.throws(() => applyTextShift('back_translation', 'abc', 1, 1), /unknown text shift/);
  assert.throws(() => synonymReplacement(42 as unknown as string, 1, 1), InputError);
});
