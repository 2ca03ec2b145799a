/**
 * Questions about generated scenes, with reference answers read off the ground truth. Each
 * answer exists twice: as structured slots (what a small model can be trained on and scored
 * against exactly) and as the full sentence rendered from those slots, so the two never disagree.
 * A question is only asked when its answer is well defined in its scene.
 */
import { InputError } from '../errors';
import { createRng, type RandomSource } from '../random';
import {
  COLOURS,
  SHAPES,
  generateScene,
  type BackgroundColour,
  type ColourName,
  type Column,
  type Row,
  type Scene,
  type SceneOptions,
  type Shape,
  type Texture,
} from './scenes';

/** The kinds of question the benchmark asks about a scene. */
export const QUERY_KINDS = ['colour', 'count', 'position', 'existence', 'description'] as const;
/** One of `QUERY_KINDS`: what a question asks about, which decides the slots its answer fills. */
export type QueryKind = (typeof QUERY_KINDS)[number];

/** Canonical "row column", e.g. "top left", "middle center": one string per grid cell. */
export type PositionSlot = `${Row} ${Column}`;

export interface ObjectGroupSlot {
  colour: ColourName;
  shape: Shape;
  count: number;
}

/** The facts an answer states, one field per slot; which are set depends on the kind (see `answerSentence`). */
export interface AnswerSlotValues {
  /** The shape asked about (colour, count of one shape, position, existence). */
  shape?: Shape;
  /** Colour: the answer; position and existence: part of the object asked about. */
  colour?: ColourName;
  /** Count: objects of `shape`, or of every shape when `shape` is absent. */
  count?: number;
  /** Position: the answer. */
  position?: PositionSlot;
  /** Existence: the answer. */
  exists?: boolean;
  /** Description: objects grouped by colour and shape, in reading order of first appearance. */
  objects?: ObjectGroupSlot[];
  /** Description: the background. */
  background?: { texture: Texture; colour: BackgroundColour };
}

/** A structured answer: its kind and slots, what the answering model predicts and is scored on exactly. */
export interface AnswerSlots {
  kind: QueryKind;
  slots: AnswerSlotValues;
}

/** A question about one scene, with its reference answer as a sentence and as slots. */
export interface SceneQuestion {
  kind: QueryKind;
  question: string;
  /** Index into QUESTION_TEMPLATES[kind] of the phrasing used. */
  phrasing: number;
  /** `answerSentence(answerSlots)`. */
  reference_answer: string;
  answerSlots: AnswerSlots;
}

/** One query of the benchmark: a question with its scene, the unit every split holds and the model answers. */
export interface Query extends SceneQuestion {
  /** Its index in `generateQueries`' output. */
  question_id: number;
  /** The seed the scene was generated from (`scene.seed`). */
  sceneSeed: number;
  scene: Scene;
}

/** The scenes `generateQueries` draws and the kinds of question it asks. */
export interface GenerateQueriesOptions {
  /** Passed to generateScene for every query's scene. */
  scene?: SceneOptions | undefined;
  /** Kinds to draw from, balanced among themselves (default all). */
  kinds?: readonly QueryKind[] | undefined;
}

/**
 * Phrasings per kind. `{shape}`/`{shapes}` is the shape (singular/plural; "shapes" when counting
 * everything), `{colour}` the colour; a phrasing varies the wording, never the answer.
 */
export const QUESTION_TEMPLATES: Readonly<Record<QueryKind, readonly string[]>> = {
  colour: [
    'What colour is the {shape}?',
    'What is the colour of the {shape}?',
    'Which colour does the {shape} have?',
    'Tell me the colour of the {shape}.',
  ],
  count: [
    'How many {shapes} are there?',
    'How many {shapes} can you see?',
    'Count the {shapes} in the image.',
    'What is the number of {shapes} in the picture?',
  ],
  position: [
    'Where is the {colour} {shape}?',
    'In which part of the image is the {colour} {shape}?',
    'Where can the {colour} {shape} be found?',
    'What is the location of the {colour} {shape}?',
  ],
  existence: [
    'Is there a {colour} {shape}?',
    'Does the image contain a {colour} {shape}?',
    'Can you see a {colour} {shape}?',
    'Is a {colour} {shape} present in the image?',
  ],
  description: [
    'Describe the image.',
    'What does the image show?',
    'Give a short description of the picture.',
    'What is in this image?',
  ],
};

const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

const TEXTURE_ADJECTIVES: Readonly<Record<Texture, string>> = {
  plain: 'plain',
  stripes: 'striped',
  checker: 'checkered',
  noise: 'noisy',
};

function numberWord(count: number): string {
  return count < NUMBER_WORDS.length ? NUMBER_WORDS[count] : String(count);
}

function plural(noun: string, count: number): string {
  return count === 1 ? noun : `${noun}s`;
}

function withArticle(phrase: string): string {
  return /^[aeiou]/.test(phrase) ? `an ${phrase}` : `a ${phrase}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function joinList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The words naming a grid cell's position (e.g. top left) for questions and answers. */
export function positionSlot(row: Row, column: Column): PositionSlot {
  return `${row} ${column}`;
}

/** "at the top left", "at the middle right", "in the center". */
export function positionPhrase(position: PositionSlot): string {
  return position === 'middle center' ? 'in the center' : `at the ${position}`;
}

function required<T>(value: T | undefined, name: string, kind: QueryKind): T {
  if (value === undefined) throw new InputError(`a ${kind} answer needs the ${name} slot`, { field: `slots.${name}` });
  return value;
}

/** The reference sentence for a set of slots; also usable to verbalise a model's predicted slots. */
export function answerSentence(answer: AnswerSlots): string {
  const { kind, slots } = answer;
  switch (kind) {
    case 'colour':
      return `The ${required(slots.shape, 'shape', kind)} is ${required(slots.colour, 'colour', kind)}.`;
    case 'count': {
      const count = required(slots.count, 'count', kind);
      const noun = plural(slots.shape ?? 'shape', count);
      return `There ${count === 1 ? 'is' : 'are'} ${numberWord(count)} ${noun}.`;
    }
    case 'position': {
      const subject = `${required(slots.colour, 'colour', kind)} ${required(slots.shape, 'shape', kind)}`;
      return `The ${subject} is ${positionPhrase(required(slots.position, 'position', kind))}.`;
    }
    case 'existence': {
      const subject = `${required(slots.colour, 'colour', kind)} ${required(slots.shape, 'shape', kind)}`;
      return required(slots.exists, 'exists', kind) ? `Yes, there is ${withArticle(subject)}.` : `No, there is no ${subject}.`;
    }
    case 'description': {
      const groups = required(slots.objects, 'objects', kind).map((group) => {
        const phrase = `${group.colour} ${plural(group.shape, group.count)}`;
        return group.count === 1 ? withArticle(phrase) : `${numberWord(group.count)} ${phrase}`;
      });
      const background = required(slots.background, 'background', kind);
      const backdrop = withArticle(`${TEXTURE_ADJECTIVES[background.texture]} ${background.colour} background`);
      return capitalise(`the image shows ${joinList(groups)} on ${backdrop}.`);
    }
  }
}

function fillTemplate(template: string, values: { shape?: Shape; colour?: ColourName; shapes?: string }): string {
  return template
    .replace('{shapes}', values.shapes ?? '')
    .replace('{shape}', values.shape ?? '')
    .replace('{colour}', values.colour ?? '');
}

/** Objects grouped by (colour, shape) in reading order, as the description lists them. */
export function objectGroups(scene: Scene): ObjectGroupSlot[] {
  const groups: ObjectGroupSlot[] = [];
  for (const object of scene.objects) {
    const group = groups.find((g) => g.colour === object.colour && g.shape === object.shape);
    if (group) group.count++;
    else groups.push({ colour: object.colour, shape: object.shape, count: 1 });
  }
  return groups;
}

function slotsFor(scene: Scene, kind: QueryKind, rng: RandomSource): { slots: AnswerSlotValues; fill: Parameters<typeof fillTemplate>[1] } | undefined {
  const objects = scene.objects;
  switch (kind) {
    case 'colour': {
      // "the square" must name exactly one object, or the colour is ambiguous.
      const unique = SHAPES.filter((shape) => objects.filter((o) => o.shape === shape).length === 1);
      if (unique.length === 0) return undefined;
      const shape = unique[rng.int(unique.length)];
      const colour = objects.find((o) => o.shape === shape)!.colour;
      return { slots: { shape, colour }, fill: { shape } };
    }
    case 'count': {
      // One option in four counts everything; absent shapes are fair game ("There are no triangles.").
      const target = rng.int(SHAPES.length + 1);
      if (target === SHAPES.length) return { slots: { count: objects.length }, fill: { shapes: 'shapes' } };
      const shape = SHAPES[target];
      return { slots: { shape, count: objects.filter((o) => o.shape === shape).length }, fill: { shapes: `${shape}s` } };
    }
    case 'position': {
      const unique = objects.filter((a) => objects.filter((b) => b.colour === a.colour && b.shape === a.shape).length === 1);
      if (unique.length === 0) return undefined;
      const object = unique[rng.int(unique.length)];
      const slots = { shape: object.shape, colour: object.colour, position: positionSlot(object.position.row, object.position.column) };
      return { slots, fill: { shape: object.shape, colour: object.colour } };
    }
    case 'existence': {
      // Half yes, half no, so always answering "yes" scores only chance.
      if (rng.int(2) === 0) {
        const object = objects[rng.int(objects.length)];
        return { slots: { shape: object.shape, colour: object.colour, exists: true }, fill: { shape: object.shape, colour: object.colour } };
      }
      const absent: { shape: Shape; colour: ColourName }[] = [];
      for (const colour of COLOURS) {
        for (const shape of SHAPES) {
          if (!objects.some((o) => o.colour === colour && o.shape === shape)) absent.push({ shape, colour });
        }
      }
      const pair = absent[rng.int(absent.length)];
      return { slots: { ...pair, exists: false }, fill: pair };
    }
    case 'description': {
      const { texture, colour } = scene.background;
      return { slots: { objects: objectGroups(scene), background: { texture, colour } }, fill: {} };
    }
  }
}

/** A question of the given kind about the scene, or undefined when no such question has a well-defined answer. */
export function askQuestion(scene: Scene, kind: QueryKind, rng: RandomSource): SceneQuestion | undefined {
  if (scene.objects.length === 0) return undefined;
  const made = slotsFor(scene, kind, rng);
  if (!made) return undefined;
  const templates = QUESTION_TEMPLATES[kind];
  const phrasing = rng.int(templates.length);
  const answerSlots: AnswerSlots = { kind, slots: made.slots };
  return {
    kind,
    question: fillTemplate(templates[phrasing], made.fill),
    phrasing,
    reference_answer: answerSentence(answerSlots),
    answerSlots,
  };
}

/** Redraws before giving up; a colour question fails only when no shape is unique, which is rare. */
const MAX_SCENE_ATTEMPTS = 1000;

/**
 * `count` queries, each on its own scene, with kinds balanced (counts differ by at most one) and
 * shuffled so a kind is not predictable from its index. Deterministic in `seed`.
 */
export function generateQueries(count: number, seed: number, options: GenerateQueriesOptions = {}): Query[] {
  if (!Number.isInteger(count) || count < 0 || count > 1_000_000) {
    throw new InputError(`must be an integer in [0, 1000000], got ${count}`, { field: 'count' });
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InputError(`must be an integer in [0, 4294967295], got ${seed}`, { field: 'seed' });
  }
  const kinds = options.kinds ?? QUERY_KINDS;
  if (kinds.length === 0) throw new InputError('needs at least one kind', { field: 'kinds' });
  for (const kind of kinds) {
    if (!QUERY_KINDS.includes(kind)) throw new InputError(`unknown kind ${JSON.stringify(kind)}`, { field: 'kinds' });
  }
  // Validate scene options once, up front, rather than on the first draw.
  generateScene(0, options.scene);
  const rng = createRng(seed);
  const order = Array.from({ length: count }, (_, i) => kinds[i % kinds.length]);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.map((kind, question_id): Query => {
    for (let attempt = 0; attempt < MAX_SCENE_ATTEMPTS; attempt++) {
      const sceneSeed = rng.int(0x100000000);
      const scene = generateScene(sceneSeed, options.scene);
      const asked = askQuestion(scene, kind, rng);
      if (asked) return { question_id, sceneSeed, scene, ...asked };
    }
    throw new InputError(`no scene admits a ${kind} question under these scene options`, { field: 'scene' });
  });
}
