import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbedder, EMBEDDER_KINDS, OpenAIEmbedder, XlmRobertaEmbeddingLayerEmbedder, ClipVisionEmbedder } from '../../src/embed/index';
import { isInputError } from '../../src/errors';
import { tinyXlmrWeights, writeTinyClip, writeTinyXlmrSafetensors } from './fixtures';

test('builtin: a text and an image embedder, both 768-d', async () => {
  const { text, image } = createEmbedder('builtin');
  assert.equal(text.dimension, 768);
  assert.equal(image?.dimension, 768);
  assert.notEqual(text.id, image?.id);
  assert.equal((await text.embedTexts(['a'])).cols, 768);
  assert.deepEqual([...EMBEDDER_KINDS], ['builtin', 'transformers', 'openai', 'pretrained']);
});

test('transformers: models from options or EMISHIFT_XLMR_DIR / EMISHIFT_CLIP_DIR; text-only without CLIP', () => {
  const root = mkdtempSync(join(tmpdir(), 'emishift-create-'));
  try {
    writeTinyXlmrSafetensors(join(root, 'xlmr'), tinyXlmrWeights());
    writeTinyClip(join(root, 'clip'));
    const both = createEmbedder('transformers', { env: { EMISHIFT_XLMR_DIR: join(root, 'xlmr'), EMISHIFT_CLIP_DIR: join(root, 'clip') } });
    assert.ok(both.text instanceof XlmRobertaEmbeddingLayerEmbedder);
    assert.ok(both.image instanceof ClipVisionEmbedder);
    const textOnly = createEmbedder('transformers', { textModel: 'xlmr', modelRoot: root, env: {} });
    assert.equal(textOnly.image, undefined);
    assert.throws(() => createEmbedder('transformers', { env: {} }), (error: unknown) => isInputError(error) && /EMISHIFT_XLMR_DIR/.test(error.message));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('openai: text only (the embeddings API takes no images); unknown kinds are refused', () => {
  const pair = createEmbedder('openai', { baseUrl: 'http://127.0.0.1:9/v1', model: 'm', env: {} });
  assert.ok(pair.text instanceof OpenAIEmbedder);
  assert.equal(pair.image, undefined);
  assert.throws(() => createEmbedder('clip'), /unknown embedder 'clip' \(expected builtin, transformers, openai, pretrained\)/);
});
