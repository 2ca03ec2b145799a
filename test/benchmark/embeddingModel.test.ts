/**
 * The answering model on frozen embeddings, trained here on the built-in pair (fast, no weights
 * packages; the shipped model reads the pretrained pair): it learns its training queries, its
 * file round-trips to identical answers, it refuses embedders other than those it was trained
 * on, and the job picks it exactly when the embedder pair is the pretrained one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEmbedder } from '../../src/embed/index';
import { EmbeddingCache } from '../../src/embed/embeddingCache';
import { decodeEmbeddingAnsweringModel, encodeEmbeddingAnsweringModel, trainEmbeddingAnsweringModel } from '../../src/benchmark/embeddingModel';
import { slotAccuracy } from '../../src/benchmark/model';
import { generateQueries, QUERY_KINDS } from '../../src/benchmark/questions';
import { renderScene } from '../../src/benchmark/scenes';
import { answeringModelKind } from '../../src/pipeline/runBenchmark';
import { isInputError } from '../../src/errors';
import type { Embedder, ImageEmbedder } from '../../src/embed/embedder';

const queries = generateQueries(80, 31);
const images = queries.map((query) => renderScene(query.scene, { width: 64, height: 64 }));
const questions = queries.map((query) => query.question);

test('trained on frozen embeddings, the heads learn their training queries; the file gives identical answers', async () => {
  const embedders = EmbeddingCache.inMemory().wrap(createEmbedder('builtin'));
  const model = await trainEmbeddingAnsweringModel(queries, embedders, { seed: 4, epochs: 60, mirror: false });
  const answers = await model.answerer(embedders).answer(images, questions);
  const accuracy = slotAccuracy(
    answers.map((answer) => answer.slots),
    queries.map((query) => query.answerSlots),
  );
  // Chance is far lower: a description must get every object and the background right, a count its exact number.
  // A model that learnt nothing answers every query with one kind; 60 epochs on 80 queries fit the question kind
  // near perfectly (it is a function of the question's words), so at least 80% kinds right is a loose floor.
  const kindsRight = answers.filter((answer, i) => answer.slots.kind === queries[i].answerSlots.kind).length / queries.length;
  assert.ok(kindsRight >= 0.8, `question kinds right: ${kindsRight}`);
  assert.ok(accuracy.accuracy >= 0.3, `training accuracy ${accuracy.accuracy}`);
  assert.equal(new Set(answers.map((answer) => answer.slots.kind)).size, QUERY_KINDS.length);

  const decoded = decodeEmbeddingAnsweringModel(encodeEmbeddingAnsweringModel(model));
  assert.deepEqual(decoded.features, model.features);
  assert.deepEqual(await decoded.answerer(embedders).answer(images, questions), answers);
  assert.equal(decoded.parameterCount, model.parameterCount);
});

test('the model refuses embedders it was not trained on, and malformed files', async () => {
  const embedders = createEmbedder('builtin');
  const model = await trainEmbeddingAnsweringModel(queries.slice(0, 5), embedders, { seed: 1, epochs: 1, mirror: false });
  const other = { ...embedders, text: { ...embedders.text, id: 'another-text-embedder', embedTexts: embedders.text.embedTexts.bind(embedders.text) } };
  assert.throws(
    () => model.answerer(other),
    (error: unknown) => isInputError(error) && error.field === 'embedder' && /trained on text embeddings of emishift-builtin-text-v1 .*, not another-text-embedder$/.test(error.message),
  );
  assert.throws(() => model.answerer({ text: embedders.text }), (error: unknown) => isInputError(error) && /needs an image embedder/.test(error.message));
  assert.throws(() => decodeEmbeddingAnsweringModel('{"format":"emishift-answering-model","version":1}', 'm.json'), (error: unknown) => isInputError(error) && error.file === 'm.json');
  const saved = JSON.parse(encodeEmbeddingAnsweringModel(model));
  delete saved.weights.cellHead;
  assert.throws(() => decodeEmbeddingAnsweringModel(JSON.stringify(saved)), (error: unknown) => isInputError(error) && error.field === 'weights.cellHead');
});

test('the job answers with the embedding model exactly when the pair is the pretrained one', () => {
  const builtin = createEmbedder('builtin');
  assert.equal(answeringModelKind(builtin), 'pixels');
  const relabel = <T extends Embedder>(embedder: T, family: string): T => Object.assign(Object.create(Object.getPrototypeOf(embedder)), embedder, { family });
  const pretrainedLike = { text: relabel(builtin.text, 'pretrained'), image: relabel(builtin.image as ImageEmbedder, 'pretrained') };
  assert.equal(answeringModelKind(pretrainedLike), 'pretrained-embeddings');
  assert.equal(answeringModelKind({ text: pretrainedLike.text }), 'pixels');
  assert.equal(answeringModelKind({ text: pretrainedLike.text, image: builtin.image }), 'pixels');
});
