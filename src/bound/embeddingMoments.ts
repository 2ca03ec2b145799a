/**
 * One embedding matrix A (n × d) with the second-moment quantities the RJSD needs, each
 * computed at most once however many divergences A enters: its Gram matrix A Aᵀ, its
 * uncentered second moment AᵀA, its trace ‖A‖²_F and the von Neumann entropy of AᵀA.
 *
 * The nonzero eigenvalues of AᵀA (d × d) and A Aᵀ (n × n) are the same, so every spectrum is
 * taken on the smaller side: exact either way, and n × n is far cheaper when n < d.
 */
import type { Matrix } from '../interface';
import { inThreadEigenSolver, type EigenSolver } from '../linalg/eigenSolver';
import { crossProduct, outerProduct } from '../linalg/products';
import { vonNeumannEntropyFromEigenvalues } from './vonNeumannEntropy';

export type SpectrumSide = 'gram' | 'covariance';

/** 'auto' takes the cheaper side; forcing one exists to check that both agree. */
export type SpectrumSideChoice = SpectrumSide | 'auto';

/** The side whose spectrum is cheaper for a matrix with `rows` rows of dimension `cols`. */
export function spectrumSide(rows: number, cols: number, choice: SpectrumSideChoice = 'auto'): SpectrumSide {
  if (choice !== 'auto') return choice;
  return rows < cols ? 'gram' : 'covariance';
}

export class EmbeddingMoments {
  readonly trace: number;
  private gramPromise?: Promise<Float64Array>;
  private covariancePromise?: Promise<Float64Array>;
  private entropyPromise?: Promise<number>;

  constructor(
    readonly matrix: Matrix,
    readonly solver: EigenSolver = inThreadEigenSolver,
    readonly side: SpectrumSideChoice = 'auto',
  ) {
    let trace = 0;
    const { data } = matrix;
    for (let i = 0; i < data.length; i++) trace += data[i] * data[i];
    this.trace = trace;
  }

  get rows(): number {
    return this.matrix.rows;
  }

  get cols(): number {
    return this.matrix.cols;
  }

  /** A Aᵀ (rows × rows). */
  gram(): Promise<Float64Array> {
    this.gramPromise ??= outerProduct(this.matrix);
    return this.gramPromise;
  }

  /** AᵀA (cols × cols). */
  covariance(): Promise<Float64Array> {
    this.covariancePromise ??= crossProduct(this.matrix);
    return this.covariancePromise;
  }

  /** S(AᵀA). */
  entropy(): Promise<number> {
    this.entropyPromise ??= (async () => {
      const side = spectrumSide(this.rows, this.cols, this.side);
      const source = side === 'gram' ? await this.gram() : await this.covariance();
      const size = side === 'gram' ? this.rows : this.cols;
      // The solver may take ownership of what it is given; the cached matrix is shared.
      return vonNeumannEntropyFromEigenvalues(await this.solver.eigenvalues(source.slice(), size));
    })();
    return this.entropyPromise;
  }
}
