/** One optimisation step at a time, on whichever engine trains the CLUB network. */
import type { ClubParameters } from './clubParameters';

export interface ClubTrainer {
  /** A human-readable name of the engine and backend, reported by the CLI. */
  readonly engine: string;
  /** One Adam step on `rows` pairs (x, y: rows × dim, row-major); resolves to the batch loss. */
  step(x: Float32Array, y: Float32Array, rows: number): Promise<number>;
  /** A copy of the current weights. */
  parameters(): ClubParameters;
  dispose(): void;
}

/** Adam as PyTorch's defaults (torch.optim.Adam: β1 0.9, β2 0.999, ε 1e-8, no weight decay), for every engine. */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;
