import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors';
import { createRng } from '../../src/random';
import { COLOURS, SHAPES, generateScene, type Scene } from '../../src/benchmark/scenes';
import { QUERY_KINDS, QUESTION_TEMPLATES, answerSentence, askQuestion, generateQueries, type Query } from '../../src/benchmark/questions';

const QUERIES = generateQueries(500, 2024);

function mentioned<T extends string>(text: string, words: readonly T[]): T | undefined {
  return words.find((word) => new RegExp(`\\b${word}s?\\b`).test(text));
}

function templatePattern(template: string): RegExp {
  const escaped = template.replace(/[.?]/g, (c) => `\\${c}`);
  return new RegExp(`^${escaped.replace('{shapes}', '\\w+').replace('{shape}', '\\w+').replace('{colour}', '\\w+')}$`);
}

test('generateQueries is deterministic in the seed and differs across seeds', () => {
  assert.deepEqual(generateQueries(50, 7), generateQueries(50, 7));
  const a = generateQueries(50, 7).map((q) => q.question + q.sceneSeed);
  const b = generateQueries(50, 8).map((q) => q.question + q.sceneSeed);
  assert.notDeepEqual(a, b);
  assert.deepEqual(generateQueries(0, 1), []);
});

test('every query carries its id, scene and the scene generated from its sceneSeed', () => {
  QUERIES.forEach((query, index) => {
    assert.equal(query.question_id, index);
    assert.deepEqual(query.scene, generateScene(query.sceneSeed));
    assert.equal(query.kind, query.answerSlots.kind);
    assert.equal(query.reference_answer, answerSentence(query.answerSlots));
    assert.match(query.question, templatePattern(QUESTION_TEMPLATES[query.kind][query.phrasing]));
  });
});

function recheck(query: Query): void {
  const { scene, question, reference_answer: answer, answerSlots } = query;
  const slots = answerSlots.slots;
  const objects = scene.objects;
  const context = `${question} / ${answer} / ${JSON.stringify(scene)}`;
  switch (query.kind) {
    case 'colour': {
      const shape = mentioned(question, SHAPES)!;
      const matching = objects.filter((o) => o.shape === shape);
      assert.equal(matching.length, 1, context);
      assert.deepEqual(slots, { shape, colour: matching[0].colour });
      assert.equal(answer, `The ${shape} is ${matching[0].colour}.`);
      break;
    }
    case 'count': {
      const shape = mentioned(question, SHAPES);
      const count = shape ? objects.filter((o) => o.shape === shape).length : objects.length;
      if (!shape) assert.match(question, /\bshapes\b/);
      assert.equal(slots.count, count, context);
      assert.equal(slots.shape, shape);
      const word = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'][count];
      assert.equal(answer, `There ${count === 1 ? 'is' : 'are'} ${word} ${shape ?? 'shape'}${count === 1 ? '' : 's'}.`);
      break;
    }
    case 'position': {
      const shape = mentioned(question, SHAPES)!;
      const colour = mentioned(question, COLOURS)!;
      const matching = objects.filter((o) => o.shape === shape && o.colour === colour);
      assert.equal(matching.length, 1, context);
      const { row, column } = matching[0].position;
      assert.deepEqual(slots, { shape, colour, position: `${row} ${column}` });
      assert.ok(answer.startsWith(`The ${colour} ${shape} is `), answer);
      assert.ok(row === 'middle' && column === 'center' ? answer.endsWith('in the center.') : answer.endsWith(`at the ${row} ${column}.`), answer);
      break;
    }
    case 'existence': {
      const shape = mentioned(question, SHAPES)!;
      const colour = mentioned(question, COLOURS)!;
      const exists = objects.some((o) => o.shape === shape && o.colour === colour);
      assert.deepEqual(slots, { shape, colour, exists }, context);
      assert.ok(answer.startsWith(exists ? 'Yes, there is a' : 'No, there is no '), answer);
      assert.ok(answer.endsWith(` ${colour} ${shape}.`), answer);
      break;
    }
    case 'description': {
      const total = slots.objects!.reduce((sum, group) => sum + group.count, 0);
      assert.equal(total, objects.length, context);
      for (const group of slots.objects!) {
        assert.equal(objects.filter((o) => o.colour === group.colour && o.shape === group.shape).length, group.count);
        assert.ok(answer.includes(`${group.colour} ${group.shape}`), answer);
      }
      assert.deepEqual(slots.background, { texture: scene.background.texture, colour: scene.background.colour });
      assert.ok(answer.endsWith(` ${scene.background.colour} background.`), answer);
      break;
    }
  }
}

test("every question's answer agrees with the scene's ground truth, recounted independently", () => {
  for (const query of QUERIES) recheck(query);
  for (const query of generateQueries(300, 99, { scene: { minObjects: 5, maxObjects: 9 } })) recheck(query);
});

test('kinds are balanced and not predictable from the index', () => {
  for (const count of [500, 103, 4]) {
    const queries = count === 500 ? QUERIES : generateQueries(count, 3);
    const tally = QUERY_KINDS.map((kind) => queries.filter((q) => q.kind === kind).length);
    assert.ok(Math.max(...tally) - Math.min(...tally) <= 1, `${count}: ${tally}`);
  }
  const periodic = QUERIES.every((q, i) => q.kind === QUERY_KINDS[i % QUERY_KINDS.length]);
  assert.equal(periodic, false);
  const only = generateQueries(20, 5, { kinds: ['count', 'existence'] });
  assert.deepEqual(new Set(only.map((q) => q.kind)), new Set(['count', 'existence']));
  assert.equal(only.filter((q) => q.kind === 'count').length, 10);
});

test('phrasings vary within every kind, and yes/no answers are balanced', () => {
  for (const kind of QUERY_KINDS) {
    const ofKind = QUERIES.filter((q) => q.kind === kind);
    assert.equal(new Set(ofKind.map((q) => q.phrasing)).size, QUESTION_TEMPLATES[kind].length, kind);
    assert.ok(new Set(ofKind.map((q) => q.question)).size > 3, kind);
  }
  const existence = QUERIES.filter((q) => q.kind === 'existence');
  const yes = existence.filter((q) => q.answerSlots.slots.exists).length;
  assert.ok(yes > existence.length * 0.35 && yes < existence.length * 0.65, `${yes}/${existence.length}`);
  const counts = new Set(QUERIES.filter((q) => q.kind === 'count').map((q) => q.answerSlots.slots.count));
  assert.ok(counts.has(0) && counts.has(1) && counts.has(2), [...counts].join());
});

test('reference sentences read as intended', () => {
  assert.equal(answerSentence({ kind: 'colour', slots: { shape: 'square', colour: 'red' } }), 'The square is red.');
  assert.equal(answerSentence({ kind: 'count', slots: { shape: 'circle', count: 2 } }), 'There are two circles.');
  assert.equal(answerSentence({ kind: 'count', slots: { shape: 'circle', count: 1 } }), 'There is one circle.');
  assert.equal(answerSentence({ kind: 'count', slots: { shape: 'triangle', count: 0 } }), 'There are no triangles.');
  assert.equal(answerSentence({ kind: 'count', slots: { count: 3 } }), 'There are three shapes.');
  assert.equal(answerSentence({ kind: 'position', slots: { shape: 'triangle', colour: 'red', position: 'top left' } }), 'The red triangle is at the top left.');
  assert.equal(answerSentence({ kind: 'position', slots: { shape: 'circle', colour: 'blue', position: 'middle center' } }), 'The blue circle is in the center.');
  assert.equal(answerSentence({ kind: 'existence', slots: { shape: 'circle', colour: 'blue', exists: true } }), 'Yes, there is a blue circle.');
  assert.equal(answerSentence({ kind: 'existence', slots: { shape: 'circle', colour: 'orange', exists: true } }), 'Yes, there is an orange circle.');
  assert.equal(answerSentence({ kind: 'existence', slots: { shape: 'square', colour: 'green', exists: false } }), 'No, there is no green square.');
  assert.throws(() => answerSentence({ kind: 'colour', slots: { shape: 'square' } }), InputError);
});

test('a description groups objects by colour and shape in reading order', () => {
  const at = (row: 'top' | 'middle' | 'bottom', column: 'left' | 'center' | 'right') => ({ row, column });
  const scene: Scene = {
    seed: 0,
    background: { texture: 'stripes', colour: 'green', noiseSeed: 0 },
    objects: [
      { shape: 'square', colour: 'red', size: 'large', position: at('top', 'left'), offset: { dx: 0, dy: 0 } },
      { shape: 'circle', colour: 'blue', size: 'small', position: at('top', 'right'), offset: { dx: 0, dy: 0 } },
      { shape: 'circle', colour: 'blue', size: 'large', position: at('bottom', 'center'), offset: { dx: 0, dy: 0 } },
    ],
  };
  const asked = askQuestion(scene, 'description', createRng(1))!;
  assert.equal(asked.reference_answer, 'The image shows a red square and two blue circles on a striped green background.');
  // Two circles: "the circle" is ambiguous, so a colour question can only be about the square.
  for (let seed = 0; seed < 20; seed++) {
    assert.equal(askQuestion(scene, 'colour', createRng(seed))!.answerSlots.slots.shape, 'square');
  }
  const squares: Scene = { ...scene, objects: [scene.objects[0], { ...scene.objects[0], position: at('bottom', 'right') }] };
  assert.equal(askQuestion(squares, 'colour', createRng(1)), undefined);
  assert.equal(askQuestion(squares, 'position', createRng(1)), undefined);
});

test('bad input is an InputError', () => {
  assert.throws(() => generateQueries(-1, 1), InputError);
  assert.throws(() => generateQueries(1.5, 1), InputError);
  assert.throws(() => generateQueries(3, -2), InputError);
  assert.throws(() => generateQueries(3, 1, { kinds: [] }), InputError);
  assert.throws(() => generateQueries(3, 1, { kinds: ['colour', 'nope' as never] }), InputError);
  assert.throws(() => generateQueries(3, 1, { scene: { maxObjects: 12 } }), InputError);
});
