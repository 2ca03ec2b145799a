/**
 * The pooling arithmetic of the paper's reference embeddings, as pure functions over plain
 * arrays so it can be tested with injected tensors, independently of any model files:
 *
 * - z_v: CLIP vision tower's last hidden state [batch, 1 + patches, dim], mean over the patch
 *   tokens (index 0, CLS, excluded), L2-normalised.
 * - z_t, z_ŷ, z_y: XLM-RoBERTa's embedding-layer output `hidden_states[0]` [batch, tokens, dim],
 *   multiplied by the attention mask, summed over tokens 1.. (the first token, `<s>`, excluded)
 *   and divided by the mask's sum over the same tokens (so the closing `</s>` counts), then
 *   L2-normalised.
 * - `hidden_states[0]` itself, computed from the embedding weights exactly as XLM-RoBERTa's
 *   embedding module does in eval mode: word_embeddings[id] + position_embeddings[position] +
 *   token_type_embeddings[0], then LayerNorm(eps). Positions follow fairseq/RoBERTa: padding
 *   tokens get `padding_idx`, the others `padding_idx + 1, + 2, ...` counting only non-padding
 *   tokens (`create_position_ids_from_input_ids`).
 *
 * Sums run in float64 and results are rounded to float32 at the end; the reference runs in
 * float32 throughout, so values agree to float32 rounding, not bit for bit.
 */

/** A [batch, tokens, dim] row-major tensor. */
export interface HiddenStates {
  readonly data: Float32Array | Float64Array;
  readonly batch: number;
  readonly tokens: number;
  readonly dim: number;
}

function checkShape(hidden: HiddenStates): void {
  const { batch, tokens, dim, data } = hidden;
  if (data.length !== batch * tokens * dim) {
    throw new RangeError(`hidden states hold ${data.length} values, shape [${batch}, ${tokens}, ${dim}] needs ${batch * tokens * dim}`);
  }
}

/**
 * Mean over tokens 1..tokens-1 of each sequence (CLS at index 0 excluded), unnormalised:
 * [batch, dim] float64.
 */
export function meanExcludingFirstToken(hidden: HiddenStates): Float64Array {
  checkShape(hidden);
  const { data, batch, tokens, dim } = hidden;
  if (tokens < 2) throw new RangeError(`need at least 2 tokens (CLS + patches), got ${tokens}`);
  const out = new Float64Array(batch * dim);
  for (let b = 0; b < batch; b++) {
    const target = b * dim;
    for (let t = 1; t < tokens; t++) {
      const source = (b * tokens + t) * dim;
      for (let d = 0; d < dim; d++) out[target + d] += data[source + d];
    }
    for (let d = 0; d < dim; d++) out[target + d] /= tokens - 1;
  }
  return out;
}

/**
 * Attention-masked mean over tokens 1..tokens-1 ([batch, dim] float64, unnormalised):
 * Σ_{t≥1} mask[b,t]·h[b,t,:] / Σ_{t≥1} mask[b,t]. `mask` is [batch, tokens] (0/1, numbers or
 * bigints as tokenizers return them). A row whose mask is zero after the first token has no
 * tokens to average and raises, where the reference would silently produce NaN.
 */
export function maskedMeanExcludingFirstToken(hidden: HiddenStates, mask: ArrayLike<number | bigint>): Float64Array {
  checkShape(hidden);
  const { data, batch, tokens, dim } = hidden;
  if (mask.length !== batch * tokens) throw new RangeError(`attention mask holds ${mask.length} values, expected ${batch} × ${tokens}`);
  const out = new Float64Array(batch * dim);
  for (let b = 0; b < batch; b++) {
    const target = b * dim;
    let weight = 0;
    for (let t = 1; t < tokens; t++) {
      const m = Number(mask[b * tokens + t]);
      if (m === 0) continue;
      weight += m;
      const source = (b * tokens + t) * dim;
      for (let d = 0; d < dim; d++) out[target + d] += m * data[source + d];
    }
    if (weight === 0) throw new RangeError(`sequence ${b} has no unmasked token after the first`);
    for (let d = 0; d < dim; d++) out[target + d] /= weight;
  }
  return out;
}

/** Rows scaled to unit L2 norm, as float32. A zero or non-finite row raises. */
export function l2NormalizeRows(data: Float32Array | Float64Array, rows: number, cols: number): Float32Array {
  if (data.length !== rows * cols) throw new RangeError(`${data.length} values do not form ${rows} × ${cols}`);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let c = 0; c < cols; c++) norm += data[r * cols + c] * data[r * cols + c];
    norm = Math.sqrt(norm);
    if (!(norm > 0) || !Number.isFinite(norm)) throw new RangeError(`row ${r} has norm ${norm} and cannot be L2-normalised`);
    for (let c = 0; c < cols; c++) out[r * cols + c] = data[r * cols + c] / norm;
  }
  return out;
}

/**
 * RoBERTa/XLM-R position ids: `cumsum(ids != padding_idx) * (ids != padding_idx) + padding_idx`.
 * With padding_idx = 1 an unpadded sequence gets 2, 3, 4, ...
 */
export function xlmRobertaPositionIds(ids: ArrayLike<number | bigint>, paddingIdx: number): Int32Array {
  const positions = new Int32Array(ids.length);
  let count = 0;
  for (let i = 0; i < ids.length; i++) {
    if (Number(ids[i]) === paddingIdx) {
      positions[i] = paddingIdx;
    } else {
      count++;
      positions[i] = count + paddingIdx;
    }
  }
  return positions;
}

/** LayerNorm of one vector in place: (x − mean) / √(var + eps) · weight + bias (biased variance). */
export function layerNormInPlace(x: Float64Array, weight: ArrayLike<number>, bias: ArrayLike<number>, eps: number): void {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i] - mean) * (x[i] - mean);
  variance /= n;
  const scale = 1 / Math.sqrt(variance + eps);
  for (let i = 0; i < n; i++) x[i] = (x[i] - mean) * scale * weight[i] + bias[i];
}

/** What the embedding layer needs: row lookups into its tables and the LayerNorm parameters. */
export interface EmbeddingLayerTables {
  readonly dim: number;
  readonly paddingIdx: number;
  readonly layerNormEps: number;
  /** Row `id` of word_embeddings. */
  wordRow(id: number): ArrayLike<number>;
  /** Row `position` of position_embeddings. */
  positionRow(position: number): ArrayLike<number>;
  /** token_type_embeddings[0] (XLM-R has one token type). */
  readonly tokenType: ArrayLike<number>;
  readonly layerNormWeight: ArrayLike<number>;
  readonly layerNormBias: ArrayLike<number>;
}

/** `hidden_states[0]` of one sequence: [ids.length, dim] float32. */
export function xlmRobertaEmbeddingLayer(ids: ArrayLike<number | bigint>, tables: EmbeddingLayerTables): Float32Array {
  const { dim } = tables;
  const positions = xlmRobertaPositionIds(ids, tables.paddingIdx);
  const out = new Float32Array(ids.length * dim);
  const x = new Float64Array(dim);
  for (let t = 0; t < ids.length; t++) {
    const word = tables.wordRow(Number(ids[t]));
    const position = tables.positionRow(positions[t]);
    const type = tables.tokenType;
    // float32 addition order as in the reference: (word + token_type) + position.
    for (let d = 0; d < dim; d++) x[d] = Math.fround(Math.fround(word[d] + type[d]) + position[d]);
    layerNormInPlace(x, tables.layerNormWeight, tables.layerNormBias, tables.layerNormEps);
    out.set(x, t * dim);
  }
  return out;
}

/**
 * The paper's text embedding of tokenised sequences (each `<s> ... </s>`, unpadded and of any
 * lengths): embedding layer, mean over tokens after the first, L2-normalised: [n, dim] float32.
 * Padding a batch would not change the result (the embedding layer has no cross-token
 * interaction and padded tokens are masked out), so sequences are processed one by one.
 */
export function poolXlmRobertaEmbeddingLayer(sequences: readonly (ArrayLike<number | bigint>)[], tables: EmbeddingLayerTables): Float32Array {
  const { dim } = tables;
  const pooled = new Float64Array(sequences.length * dim);
  sequences.forEach((ids, i) => {
    const hidden = xlmRobertaEmbeddingLayer(ids, tables);
    const mask = new Uint8Array(ids.length).fill(1);
    pooled.set(maskedMeanExcludingFirstToken({ data: hidden, batch: 1, tokens: ids.length, dim }, mask), i * dim);
  });
  return l2NormalizeRows(pooled, sequences.length, dim);
}
