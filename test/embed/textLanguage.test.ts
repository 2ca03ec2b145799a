/**
 * The language check of single-language text encoders (no weights needed): what the script and
 * function-word checks flag, and that embed/embedSplit warn and record it in the manifest, the
 * embedding set and the provenance. An English-only stand-in embedder (the built-in one with
 * `language = 'en'`) takes the place of USE-lite, so this runs without the model packages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { textLanguageCheck } from '../../src/embed/textLanguage';
import { BuiltinTextEmbedder } from '../../src/embed/builtinText';
import { embed } from '../../src/embed/embed';
import { embedSplit } from '../../src/embed/embedSplit';
import { readSplitManifest } from '../../src/data/splitManifest';
import { readSplitFolder } from '../../src/data/splitDirectory';
import { SpaceGuard, splitRecord } from '../../src/sweep/provenance';
import type { SplitTable } from '../../src/data/splitRow';

const ENGLISH = [
  'What colour is the large circle in the top left corner?',
  'How many squares are there in the image?',
  'Is there a small red triangle below the blue square?',
  'Which shape is on the right of the green circle?',
];
const ENGLISH_ANSWERS = ['blue', 'three', 'yes', 'triangle'];
const FRENCH = [
  'De quelle couleur est le grand cercle dans le coin supérieur gauche ?',
  "Combien de carrés y a-t-il sur l'image ?",
  'Y a-t-il un petit triangle rouge sous le carré bleu ?',
  'Quelle forme est à droite du cercle vert ?',
];
const CHINESE = ['左上角的大圆是什么颜色？', '图片里有几个正方形？', '蓝色正方形下面有一个红色的小三角形吗？', '绿色圆圈右边是什么形状？'];

test('English questions with one-word answers pass both checks', () => {
  const check = textLanguageCheck([...ENGLISH, ...ENGLISH_ANSWERS, ...ENGLISH_ANSWERS]);
  assert.equal(check.mostly_outside, false);
  assert.equal(check.reason, null);
  assert.equal(check.latin_share, 1);
  assert.ok((check.english_word_share as number) > 0.15, `function-word share ${check.english_word_share}`);
});

test('Chinese text is flagged by its script, and the script is named', () => {
  const check = textLanguageCheck([...CHINESE, ...ENGLISH_ANSWERS]);
  assert.equal(check.mostly_outside, true);
  assert.equal(check.dominant_script, 'Han');
  assert.match(check.reason as string, /not Latin script \(mostly Han\)/);
});

test('French text (Latin script) is flagged by its function words', () => {
  const check = textLanguageCheck([...FRENCH, 'bleu', 'trois', 'oui', 'triangle']);
  assert.equal(check.latin_share, 1);
  assert.equal(check.mostly_outside, true);
  assert.ok((check.english_word_share as number) < 0.05);
  assert.match(check.reason as string, /function words/);
});

test('too few Latin-script words: the function-word check abstains (a documented miss)', () => {
  const check = textLanguageCheck(['bleu', 'trois', 'oui']);
  assert.equal(check.mostly_outside, false);
});

function table(name: string, questions: readonly string[]): SplitTable {
  return {
    name,
    source: `${name}.jsonl`,
    rows: questions.map((question, i) => ({ question_id: i, question, reference_answer: 'bleu', model_answer: 'rouge' })),
  };
}

/** The built-in text embedder declaring one language, as the pretrained one does. */
class EnglishOnly extends BuiltinTextEmbedder {
  readonly language = 'en';
}

test('embedSplit warns once, records the check in the manifest, and the provenance carries it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'emishift-language-'));
  try {
    const warnings: string[] = [];
    const out = join(root, 'fr');
    const result = await embedSplit(table('fr', FRENCH), out, { textEmbedder: new EnglishOnly(), onWarning: (line) => warnings.push(line) });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^fr: text mostly outside .*language \(en\)/);
    assert.doesNotMatch(warnings[0], /\n/);
    assert.equal(readSplitManifest(out)?.textLanguage?.mostly_outside, true);
    assert.equal(result.set.textLanguage?.mostly_outside, true);
    const read = readSplitFolder(out);
    assert.deepEqual(read.textLanguage, result.manifest.textLanguage);
    assert.equal(splitRecord(read).text_language?.mostly_outside, true);
    const guard = new SpaceGuard({ name: 'club' }, false);
    guard.check('fr', out, read);
    assert.ok(guard.warnings().some((line) => /1 split has text mostly outside its text encoder's language \(fr\)/.test(line)));

    const english = await embedSplit(table('en', ENGLISH), join(root, 'en'), { textEmbedder: new EnglishOnly(), onWarning: (line) => warnings.push(line) });
    assert.equal(warnings.length, 1, 'English text is not warned about');
    assert.equal(english.manifest.textLanguage?.mostly_outside, false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an embedder that declares no language is not checked, and its manifest has no such field', async () => {
  const warnings: string[] = [];
  const set = await embed(table('fr', FRENCH), { text: new BuiltinTextEmbedder() }, { onWarning: (line) => warnings.push(line) });
  assert.equal(set.textLanguage, undefined);
  assert.deepEqual(warnings, []);
  const root = mkdtempSync(join(tmpdir(), 'emishift-language-'));
  try {
    const result = await embedSplit(table('fr', FRENCH), join(root, 'fr'), { textEmbedder: new BuiltinTextEmbedder() });
    assert.equal('textLanguage' in result.manifest, false);
    assert.equal('text_language' in splitRecord(result.set), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
