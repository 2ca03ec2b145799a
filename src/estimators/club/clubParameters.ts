/**
 * The CLUB variational network's weights, in PyTorch `Linear` layout (out × in, y = x Wᵀ + b),
 * so the authors' checkpoint maps onto it key for key:
 *   μ(x)      = W2μ tanh(W1μ x + b1μ) + b2μ
 *   logvar(x) = tanh(W2σ tanh(W1σ x + b1σ) + b2σ)
 */
export interface ClubParameters {
  readonly xDim: number;
  readonly yDim: number;
  readonly hiddenDim: number;
  /** p_mu.0.weight [hidden, xDim] */
  readonly muW1: Float32Array;
  /** p_mu.0.bias [hidden] */
  readonly muB1: Float32Array;
  /** p_mu.2.weight [yDim, hidden] */
  readonly muW2: Float32Array;
  /** p_mu.2.bias [yDim] */
  readonly muB2: Float32Array;
  /** p_logvar.0.weight [hidden, xDim] */
  readonly logvarW1: Float32Array;
  /** p_logvar.0.bias [hidden] */
  readonly logvarB1: Float32Array;
  /** p_logvar.2.weight [yDim, hidden] */
  readonly logvarW2: Float32Array;
  /** p_logvar.2.bias [yDim] */
  readonly logvarB2: Float32Array;
}

/** The eight tensors in a fixed order, with their PyTorch state-dict keys and shapes. */
export const CLUB_TENSORS = [
  { field: 'muW1', key: 'p_mu.0.weight', shape: (p: ClubShape) => [p.hiddenDim, p.xDim] },
  { field: 'muB1', key: 'p_mu.0.bias', shape: (p: ClubShape) => [p.hiddenDim] },
  { field: 'muW2', key: 'p_mu.2.weight', shape: (p: ClubShape) => [p.yDim, p.hiddenDim] },
  { field: 'muB2', key: 'p_mu.2.bias', shape: (p: ClubShape) => [p.yDim] },
  { field: 'logvarW1', key: 'p_logvar.0.weight', shape: (p: ClubShape) => [p.hiddenDim, p.xDim] },
  { field: 'logvarB1', key: 'p_logvar.0.bias', shape: (p: ClubShape) => [p.hiddenDim] },
  { field: 'logvarW2', key: 'p_logvar.2.weight', shape: (p: ClubShape) => [p.yDim, p.hiddenDim] },
  { field: 'logvarB2', key: 'p_logvar.2.bias', shape: (p: ClubShape) => [p.yDim] },
] as const;

export type ClubShape = Pick<ClubParameters, 'xDim' | 'yDim' | 'hiddenDim'>;
export type ClubTensorField = (typeof CLUB_TENSORS)[number]['field'];
