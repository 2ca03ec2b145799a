import { InputError } from '../../errors';
import type { MixtureWeighting } from '../../bound/rjsd';
import { isNonNegative, numberOption, requireOption } from '../args';

const MIXTURES: readonly MixtureWeighting[] = ['sample-weighted', 'equal'];

export function mixtureOption(value: string | undefined): MixtureWeighting {
  if (value === undefined) return 'sample-weighted';
  if (!(MIXTURES as readonly string[]).includes(value)) {
    throw new InputError(`expected ${MIXTURES.join(' or ')}, got '${value}'`, { field: '--mixture' });
  }
  return value as MixtureWeighting;
}

/** The options `pair` and `sweep` share: the CLUB file, the mixture and the entropy scale. */
export function boundOptions(command: string, options: { club?: string; mixture?: string; 'entropy-scale'?: string }) {
  return {
    clubFile: requireOption(options.club, 'club', command),
    mixture: mixtureOption(options.mixture),
    entropyScale: numberOption(options['entropy-scale'], 'entropy-scale', isNonNegative, 'a number ≥ 0'),
  };
}

/** A CLUB estimator from the weights file (loads only the modules estimation needs). */
export async function loadClubEstimator(clubFile: string) {
  const { loadClub } = await import('../../mi/clubFile');
  const { ClubEstimator } = await import('../../mi/club');
  return new ClubEstimator(loadClub(clubFile));
}
