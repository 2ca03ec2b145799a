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
import { contentIdentity } from './contentIdentity';

export type SpectrumSide = 'gram' | 'covariance';

/** 'auto' takes the cheaper side; forcing one exists to check that both agree. */
export type SpectrumSideChoice = SpectrumSide | 'auto';

/** The side whose spectrum is cheaper for a matrix with `rows` rows of dimension `cols`. */
export function spectrumSide(rows: number, cols: number, choice: SpectrumSideChoice = 'auto'): SpectrumSide {
  if (choice !== 'auto') return choice;
  return rows < cols ? 'gram' : 'covariance';
}

/**
 * Gram and second-moment matrices shared by every EmbeddingMoments of the same content (a sweep's
 * splits repeat their images, questions and references), each computed once while the stored
 * ones fit in `budgetBytes`; past that, products are computed per matrix as without sharing.
 */
export class SharedProducts {
  private readonly products = new Map<string, Promise<Float64Array>>();
  private storedBytes = 0;

  constructor(readonly budgetBytes = 512 * 1024 * 1024) {}

  /** The product `kind` of the matrix with this content, computed by `compute` the first time. */
  get(key: string, kind: 'gram' | 'covariance', size: number, compute: () => Promise<Float64Array>): Promise<Float64Array> {
    const id = `${kind}:${key}`;
    const stored = this.products.get(id);
    if (stored) return stored;
    const bytes = size * size * Float64Array.BYTES_PER_ELEMENT;
    const product = compute();
    if (this.storedBytes + bytes <= this.budgetBytes) {
      this.products.set(id, product);
      this.storedBytes += bytes;
      product.catch(() => {
        this.products.delete(id);
        this.storedBytes -= bytes;
      });
    }
    return product;
  }
}

/** One embedding matrix with its spectrum computed on the cheaper side (Gram when n < d, covariance otherwise), for RJSD. */
export class EmbeddingMoments {
  private traceValue?: number;
  private gramPromise?: Promise<Float64Array>;
  private covariancePromise?: Promise<Float64Array>;
  private entropyPromise?: Promise<number>;
  private contentKeyValue?: string;

  constructor(
    readonly matrix: Matrix,
    readonly solver: EigenSolver = inThreadEigenSolver,
    readonly side: SpectrumSideChoice = 'auto',
    /** Products shared with other matrices of the same content; the products are the same numbers either way. */
    readonly shared?: SharedProducts,
  ) {}

  /** ‖A‖²_F = tr(AᵀA), computed on first use (only the equal-weight mixture needs it). */
  get trace(): number {
    if (this.traceValue === undefined) {
      let trace = 0;
      const { data } = this.matrix;
      for (let i = 0; i < data.length; i++) trace += data[i] * data[i];
      this.traceValue = trace;
    }
    return this.traceValue;
  }

  get rows(): number {
    return this.matrix.rows;
  }

  get cols(): number {
    return this.matrix.cols;
  }

  /**
   * The identity of the matrix's content: equal keys mean equal shape, element type and bytes
   * (contentIdentity.ts), so a spectrum computed for one is valid for the other. Benchmarks
   * repeat matrices across splits (every split of a text shift shares the ID split's images, say).
   */
  get contentKey(): string {
    this.contentKeyValue ??= contentIdentity(this.matrix);
    return this.contentKeyValue;
  }

  /** A Aᵀ (rows × rows). */
  gram(): Promise<Float64Array> {
    this.gramPromise ??= this.shared ? this.shared.get(this.contentKey, 'gram', this.rows, () => outerProduct(this.matrix)) : outerProduct(this.matrix);
    return this.gramPromise;
  }

  /** AᵀA (cols × cols). */
  covariance(): Promise<Float64Array> {
    this.covariancePromise ??= this.shared ? this.shared.get(this.contentKey, 'covariance', this.cols, () => crossProduct(this.matrix)) : crossProduct(this.matrix);
    return this.covariancePromise;
  }

  /** S(AᵀA). */
  entropy(): Promise<number> {
    this.entropyPromise ??= (async () => {
      const side = spectrumSide(this.rows, this.cols, this.side);
      const source = side === 'gram' ? await this.gram() : await this.covariance();
      const size = side === 'gram' ? this.rows : this.cols;
      // Copied into the solver's workspace: the cached matrix is shared with other divergences.
      return vonNeumannEntropyFromEigenvalues(await this.solver.eigenvaluesOfWritten(size, (target) => target.set(source)));
    })();
    return this.entropyPromise;
  }
}
