import { InputError } from '../../errors';
import type { MixtureWeighting } from '../../bound/rjsd';

const MIXTURES: readonly MixtureWeighting[] = ['sample-weighted', 'equal'];

export function mixtureOption(value: string | undefined): MixtureWeighting {
  if (value === undefined) return 'sample-weighted';
  if (!(MIXTURES as readonly string[]).includes(value)) {
    throw new InputError(`expected ${MIXTURES.join(' or ')}, got '${value}'`, { field: '--mixture' });
  }
  return value as MixtureWeighting;
}
