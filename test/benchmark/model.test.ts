import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  loadAnsweringModel,
  saveAnsweringModel,
  slotAccuracy,
  slotsMatch,
  trainAnsweringModel,
  type AnsweringModel,
  type SlotAccuracy,
} from '../../src/benchmark/model';
import { CELL_FEATURES, IMAGE_FEATURES, buildVocabulary, imageFeatures, questionFeatures, tokenize } from '../../src/benchmark/modelFeatures';
import { answerSentence, generateQueries, type Query } from '../../src/benchmark/questions';
import { renderScene } from '../../src/benchmark/scenes';
import type { RgbaImage } from '../../src/io/image';
import { createRng } from '../../src/random';

/** Box blur of the given radius, applied twice: strong enough to erase small shapes. */
function blur(image: RgbaImage, radius: number): RgbaImage {
  const { width, height } = image;
  let source = image.rgba;
  for (let pass = 0; pass < 2; pass++) {
    const out = new Uint8Array(source.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const sum = [0, 0, 0];
        let n = 0;
        for (let dy = -radius; dy <= radius; dy++) {
          for (let dx = -radius; dx <= radius; dx++) {
            const sx = Math.min(width - 1, Math.max(0, x + dx));
            const sy = Math.min(height - 1, Math.max(0, y + dy));
            for (let c = 0; c < 3; c++) sum[c] += source[(sy * width + sx) * 4 + c];
            n++;
          }
        }
        const at = (y * width + x) * 4;
        for (let c = 0; c < 3; c++) out[at + c] = Math.round(sum[c] / n);
        out[at + 3] = 255;
      }
    }
    source = out;
  }
  return { width, height, rgba: source };
}

/** Replaces one letter in every word longer than two letters, as a careless typist would. */
function typo(question: string, seed: number): string {
  const rng = createRng(seed);
  return question.replace(/[A-Za-z]{3,}/g, (word) => {
    const at = 1 + rng.int(word.length - 1);
    const letter = 'abcdefghijklmnopqrstuvwxyz'[rng.int(26)];
    const replaced = letter === word[at] ? (letter === 'z' ? 'a' : 'z') : letter;
    return word.slice(0, at) + replaced + word.slice(at + 1);
  });
}

function images(queries: readonly Query[]): RgbaImage[] {
  return queries.map((query) => renderScene(query.scene, { width: 64, height: 64 }));
}

function format(accuracy: SlotAccuracy): string {
  return Object.entries(accuracy.byKind)
    .map(([kind, { accuracy: value }]) => `${kind} ${value.toFixed(2)}`)
    .join(', ');
}

describe('answering model features', () => {
  it('resamples any image size onto the 3×3 grid of cell patches', () => {
    const width = 48;
    const height = 30;
    const rgba = new Uint8Array(width * height * 4);
    // Left third red, rest blue: the left column of cells must be red throughout.
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const at = (y * width + x) * 4;
        rgba.set(x < width / 3 ? [255, 0, 0, 255] : [0, 0, 255, 255], at);
      }
    }
    const features = imageFeatures({ width, height, rgba });
    assert.equal(features.length, IMAGE_FEATURES);
    for (const cell of [0, 3, 6]) {
      assert.equal(features[cell * CELL_FEATURES], 0.5);
      assert.equal(features[cell * CELL_FEATURES + 2], -0.5);
    }
    assert.equal(features[CELL_FEATURES], -0.5);
    assert.throws(() => imageFeatures({ width: 4, height: 4, rgba: new Uint8Array(10) }), /RGBA/);
  });

  it('keeps only the words it knows', () => {
    assert.deepEqual(tokenize('What colour is the SQUARE?'), ['what', 'colour', 'is', 'the', 'square']);
    const vocabulary = buildVocabulary(['Is there a red circle?', 'Where is the blue square?']);
    assert.deepEqual(vocabulary, ['a', 'blue', 'circle', 'is', 'red', 'square', 'the', 'there', 'where']);
    const index = new Map(vocabulary.map((word, i) => [word, i]));
    assert.deepEqual([...questionFeatures(index, 'Is there a rde circle?')], [1, 0, 1, 1, 0, 0, 0, 1, 0]);
  });
});

describe('slotAccuracy', () => {
  it('scores a query correct only when every slot matches', () => {
    const reference = [
      { kind: 'colour' as const, slots: { shape: 'square' as const, colour: 'red' as const } },
      { kind: 'count' as const, slots: { count: 2 } },
      { kind: 'existence' as const, slots: { shape: 'circle' as const, colour: 'blue' as const, exists: false } },
    ];
    const predicted = [
      { kind: 'colour' as const, slots: { shape: 'square' as const, colour: 'red' as const } },
      { kind: 'count' as const, slots: { shape: 'circle' as const, count: 2 } },
      { kind: 'existence' as const, slots: { shape: 'circle' as const, colour: 'blue' as const, exists: true } },
    ];
    const result = slotAccuracy(predicted, reference);
    assert.deepEqual(result.correct, [true, false, false]);
    assert.equal(result.accuracy, 1 / 3);
    assert.deepEqual(result.byKind.colour, { correct: 1, total: 1, accuracy: 1 });
    assert.ok(Number.isNaN(result.byKind.description.accuracy));
    assert.ok(!slotsMatch(predicted[0], { kind: 'position', slots: predicted[0].slots }));
    assert.throws(() => slotAccuracy(predicted, reference.slice(1)), /predictions/);
  });
});

describe('answering model', () => {
  const train = generateQueries(400, 1);
  const heldOut = generateQueries(300, 2);
  const heldOutImages = images(heldOut);
  const questions = heldOut.map((query) => query.question);
  const reference = heldOut.map((query) => query.answerSlots);
  let model: AnsweringModel;
  let clean: SlotAccuracy;
  let trainSeconds = 0;
  const directory = mkdtempSync(join(tmpdir(), 'emishift-model-'));

  before(async () => {
    const started = Date.now();
    model = await trainAnsweringModel(train, { seed: 11, epochs: 30 });
    trainSeconds = (Date.now() - started) / 1000;
    const answers = await model.answer(heldOutImages, questions);
    clean = slotAccuracy(
      answers.map((answer) => answer.slots),
      reference,
    );
  });

  after(() => {
    model?.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  it('answers held-out clean questions far above chance for every kind', () => {
    console.log(`trained in ${trainSeconds.toFixed(1)} s; held-out clean accuracy ${clean.accuracy.toFixed(2)}: ${format(clean)}`);
    // Chance: colour 1/6, count about 1/4, position 1/9, existence 1/2, description ≈ 0.
    assert.ok(clean.byKind.colour.accuracy > 0.75, format(clean));
    assert.ok(clean.byKind.count.accuracy > 0.6, format(clean));
    assert.ok(clean.byKind.position.accuracy > 0.85, format(clean));
    assert.ok(clean.byKind.existence.accuracy > 0.8, format(clean));
    assert.ok(clean.byKind.description.accuracy > 0.25, format(clean));
  });

  it('answers in full sentences phrased like the references', async () => {
    const answers = await model.answer(heldOutImages.slice(0, 50), questions.slice(0, 50));
    for (const answer of answers) {
      assert.match(answer.text, /^[A-Z][a-z]*(,)? [^]*\.$/);
      assert.ok(answer.text.split(' ').length >= 4, answer.text);
      assert.equal(answer.text, answerSentence(answer.slots));
    }
    // A right answer reads exactly as the reference does.
    let right = 0;
    answers.forEach((answer, i) => {
      if (!slotsMatch(answer.slots, reference[i])) return;
      right++;
      assert.equal(answer.text, heldOut[i].reference_answer);
    });
    assert.ok(right > 25, `${right} of 50 right`);
  });

  it('is small', () => {
    assert.ok(model.parameterCount * 4 < 1_000_000, `${model.parameterCount} parameters`);
  });

  it('round-trips answers exactly through save and load', async () => {
    const file = join(directory, 'model.json');
    await saveAnsweringModel(model, file);
    console.log(`saved model: ${readFileSync(file).length} bytes, ${model.parameterCount} parameters, ${model.vocabulary.length} words`);
    const loaded = await loadAnsweringModel(file);
    try {
      assert.deepEqual(loaded.vocabulary, model.vocabulary);
      assert.deepEqual(loaded.weightValues(), model.weightValues());
      assert.deepEqual(await loaded.answer(heldOutImages, questions), await model.answer(heldOutImages, questions));
    } finally {
      loaded.dispose();
    }
    await assert.rejects(loadAnsweringModel(join(directory, 'missing.json')));
  });

  it('loses accuracy on strongly blurred images', async () => {
    const answers = await model.answer(
      heldOutImages.map((image) => blur(image, 5)),
      questions,
    );
    const blurred = slotAccuracy(
      answers.map((answer) => answer.slots),
      reference,
    );
    console.log(`blurred accuracy ${blurred.accuracy.toFixed(2)}: ${format(blurred)}`);
    assert.ok(blurred.accuracy < clean.accuracy - 0.15, `${blurred.accuracy} vs ${clean.accuracy}`);
  });

  it('loses accuracy on heavily misspelt questions', async () => {
    const answers = await model.answer(
      heldOutImages,
      questions.map((question, i) => typo(question, i)),
    );
    const misspelt = slotAccuracy(
      answers.map((answer) => answer.slots),
      reference,
    );
    console.log(`misspelt accuracy ${misspelt.accuracy.toFixed(2)}: ${format(misspelt)}`);
    assert.ok(misspelt.accuracy < clean.accuracy - 0.15, `${misspelt.accuracy} vs ${clean.accuracy}`);
  });
});

describe('answering model training', () => {
  it('gives the same weights and answers for the same seed, different ones for another', async () => {
    const train = generateQueries(120, 3);
    const probe = generateQueries(40, 4);
    const probeImages = images(probe);
    const probeQuestions = probe.map((query) => query.question);
    const progress: number[] = [];
    const first = await trainAnsweringModel(train, { seed: 5, epochs: 3, onProgress: (p) => progress.push(p.epoch) });
    const second = await trainAnsweringModel(train, { seed: 5, epochs: 3 });
    const other = await trainAnsweringModel(train, { seed: 6, epochs: 3 });
    try {
      assert.deepEqual(progress, [1, 2, 3]);
      assert.deepEqual(second.weightValues(), first.weightValues());
      assert.deepEqual(await second.answer(probeImages, probeQuestions), await first.answer(probeImages, probeQuestions));
      assert.notDeepEqual(other.weightValues(), first.weightValues());
    } finally {
      first.dispose();
      second.dispose();
      other.dispose();
    }
  });

  it('rejects bad inputs', async () => {
    await assert.rejects(trainAnsweringModel([], { seed: 1 }), /at least one/);
    await assert.rejects(trainAnsweringModel(generateQueries(2, 1), { seed: -1 }), /seed/);
  });
});
