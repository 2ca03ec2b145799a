/**
 * How a result was made, recorded beside every result a user can publish: the emishift
 * version, what was run, the estimator (file and SHA-256, or its training settings), each
 * split's embedding space and manifest digest, and the settings of the bound and intervals —
 * and the guard that refuses an estimator on embeddings from another space.
 */
import { describeSpace, spaceMismatch } from '../data/embeddingSpace';
import { SpaceMismatchError } from '../errors';
import type { EmbeddingSet, EstimatorDescription, MutualInformationEstimator, ResultProvenance, SpaceCheck, SpaceMismatchRecord, SplitRecord } from '../interface';
import { EMISHIFT_VERSION } from '../version';

export type { Invocation, ResultProvenance, SpaceCheck, SpaceMismatchRecord, SplitRecord } from '../interface';

/** A split's record for the provenance. */
export function splitRecord(set: EmbeddingSet): SplitRecord {
  return {
    rows: set.text.rows,
    space: set.space ?? null,
    manifest_digest: set.origin?.manifestDigest ?? null,
    ...(set.origin?.directory ? { directory: set.origin.directory } : {}),
    ...(set.shift ? { shift: set.shift } : {}),
    ...(set.textLanguage ? { text_language: set.textLanguage } : {}),
  };
}

function shortList(names: readonly string[], limit = 4): string {
  return names.length > limit ? `${names.slice(0, limit).join(', ')}, … (${names.length} in all)` : names.join(', ');
}

function estimatorName(description: EstimatorDescription): string {
  return description.file ? `${description.name} from ${description.file.path}` : description.name;
}

/**
 * One line saying how an estimator was made: `estimator: club from CLUB_global.pt (sha256
 * 99ab0626…, the authors' CLUB_global.pt), fitted in paper (…)` or its preset and training.
 */
export function describeEstimator(description: EstimatorDescription): string {
  const parts = [`estimator: ${estimatorName(description)}`];
  if (description.file) parts.push(`(sha256 ${description.file.sha256.slice(0, 12)}…${description.file.recognizedAs ? `, ${description.file.recognizedAs}` : ''})`);
  const training = description.training;
  if (training && !description.file) {
    const settings = Object.entries(training.settings).map(([key, value]) => `${key} ${String(value)}`).join(', ');
    parts.push(`trained${training.preset ? ` with preset '${training.preset}'` : ''} on ${training.pairs ?? '?'} pairs (${settings})`);
  }
  parts.push(description.space ? `in space ${describeSpace(description.space)}` : 'in an unrecorded embedding space');
  return parts.join(' ');
}

/**
 * Checks every split of a comparison against the estimator's space and the ID split's. A
 * mismatch is a SpaceMismatchError naming both spaces unless mismatches are allowed, in which
 * case it is recorded; splits without a known space are recorded as unchecked.
 */
export class SpaceGuard {
  private readonly unchecked: string[] = [];
  private readonly mismatches: SpaceMismatchRecord[] = [];
  private readonly outsideLanguage: string[] = [];

  constructor(
    private readonly estimator: EstimatorDescription,
    private readonly allowMismatch: boolean,
  ) {}

  /** Checks one split; `id` is the ID split when `set` is an OOD split. */
  check(name: string, location: string, set: EmbeddingSet, id?: { name: string; set: EmbeddingSet }): void {
    if (set.textLanguage?.mostly_outside && !this.outsideLanguage.includes(name)) this.outsideLanguage.push(name);
    if (!set.space) {
      this.unchecked.push(name);
      return;
    }
    const fitted = this.estimator.space;
    if (fitted) {
      const reason = spaceMismatch(set.space, fitted, { textOnlyFits: true });
      if (reason) {
        this.refuse(
          { split: name, against: 'estimator', reason },
          `split '${name}' is in space ${describeSpace(set.space)} but the estimator (${estimatorName(this.estimator)}) was fitted in ${describeSpace(fitted)}: ${reason}`,
          location,
        );
      }
    }
    if (id?.set.space) {
      const reason = spaceMismatch(set.space, id.set.space);
      if (reason) {
        this.refuse(
          { split: name, against: id.name, reason },
          `split '${name}' is in space ${describeSpace(set.space)} but the ID split '${id.name}' is in ${describeSpace(id.set.space)}: ${reason}`,
          location,
        );
      }
    }
  }

  private refuse(record: SpaceMismatchRecord, message: string, location: string): void {
    if (!this.allowMismatch) throw new SpaceMismatchError(message, { file: location });
    this.mismatches.push(record);
  }

  /** One line per kind of problem, for the user (and the provenance). */
  warnings(): string[] {
    const lines: string[] = [];
    if (!this.estimator.space) {
      lines.push(`the estimator (${estimatorName(this.estimator)}) records no embedding space: the splits cannot be checked against it`);
    }
    if (this.unchecked.length > 0) {
      const one = this.unchecked.length === 1;
      const count = one ? '1 split has no manifest naming its' : `${this.unchecked.length} splits have no manifest naming their`;
      lines.push(`${count} embedding space (${shortList(this.unchecked)}): ${one ? 'it' : 'they'} cannot be checked against the estimator`);
    }
    if (this.mismatches.length > 0) {
      const names = [...new Set(this.mismatches.map((m) => m.split))];
      lines.push(`ran ${names.length === 1 ? '1 split' : `${names.length} splits`} in another embedding space than the ${this.mismatches.some((m) => m.against === 'estimator') ? "estimator's" : "ID split's"} because mismatches were allowed (${shortList(names)}); the results record it`);
    }
    if (this.outsideLanguage.length > 0) {
      const one = this.outsideLanguage.length === 1;
      lines.push(
        `${one ? '1 split has' : `${this.outsideLanguage.length} splits have`} text mostly outside its text encoder's language (${shortList(this.outsideLanguage)}): ` +
          'its text vectors carry little meaning; embed such text with a multilingual encoder (transformers)',
      );
    }
    return lines;
  }

  summary(): SpaceCheck {
    return { allow_mismatch: this.allowMismatch, unchecked: [...this.unchecked], mismatches: [...this.mismatches] };
  }
}

/** The provenance of a sweep or comparison. */
export function buildProvenance(parts: Omit<ResultProvenance, 'emishift_version' | 'node_version'>): ResultProvenance {
  return { emishift_version: EMISHIFT_VERSION, node_version: process.version, ...parts };
}
