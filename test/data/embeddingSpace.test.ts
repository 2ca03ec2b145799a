import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalModelName, describeSpace, PAPER_SPACE, spaceMismatch } from '../../src/data/embeddingSpace';
import type { EmbeddingSpace } from '../../src/interface';

const builtin: EmbeddingSpace = {
  embedder: 'builtin',
  text: { model: 'emishift-builtin-text-v1', pooling: 'hashed' },
  image: { model: 'emishift-builtin-image-v1', pooling: 'statistics' },
  dimension: 768,
  normalization: 'l2',
};

test('canonicalModelName drops organisation, revision and folders, and case', () => {
  assert.equal(canonicalModelName('FacebookAI/xlm-roberta-base@0a1b2c3d4e5f'), 'xlm-roberta-base');
  assert.equal(canonicalModelName('/models/Xenova/CLIP-ViT-Base-Patch32'), 'clip-vit-base-patch32');
  assert.equal(canonicalModelName('xlm-roberta-base'), 'xlm-roberta-base');
});

test('spaceMismatch says why two spaces differ, and nothing when they agree', () => {
  assert.equal(spaceMismatch(PAPER_SPACE, PAPER_SPACE), undefined);
  // The paper's encoders found in a local Hugging Face cache are the paper's space.
  const transformers: EmbeddingSpace = {
    ...PAPER_SPACE,
    embedder: 'transformers',
    text: { ...PAPER_SPACE.text, model: 'FacebookAI/xlm-roberta-base@0123456789ab' },
    image: { ...(PAPER_SPACE.image as NonNullable<EmbeddingSpace['image']>), model: 'Xenova/clip-vit-base-patch32@ab' },
  };
  assert.equal(spaceMismatch(transformers, PAPER_SPACE), undefined);
  assert.match(spaceMismatch(builtin, PAPER_SPACE) ?? '', /^text encoder emishift-builtin-text-v1 against xlm-roberta-base$/);
  assert.match(spaceMismatch({ ...builtin, dimension: 512 }, builtin) ?? '', /512-d rows, 768-d space/);
  assert.match(spaceMismatch({ ...builtin, image: { model: 'other', pooling: 'statistics' } }, builtin) ?? '', /image encoder other/);
  assert.match(spaceMismatch({ ...builtin, text: { ...builtin.text, pooling: 'cls' } }, builtin) ?? '', /text encoder/);
  // Text-only rows fit a space with images only where the caller says they do (z = z_t).
  const textOnly = { ...builtin, image: null };
  assert.match(spaceMismatch(textOnly, builtin) ?? '', /text-only rows/);
  assert.equal(spaceMismatch(textOnly, builtin, { textOnlyFits: true }), undefined);
  assert.match(spaceMismatch(builtin, textOnly) ?? '', /against a text-only space/);
});

test('describeSpace names the family, the models, the dimension and the normalisation', () => {
  assert.equal(describeSpace(builtin), 'builtin (emishift-builtin-text-v1 + emishift-builtin-image-v1, 768-d, l2)');
  assert.equal(describeSpace({ ...builtin, image: null }), 'builtin (emishift-builtin-text-v1, 768-d, l2)');
});
