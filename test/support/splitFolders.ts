/** Writes synthetic split folders (the layout `emishift sweep` reads) for tests. */
import { join } from 'node:path';
import { writeSplitFolder } from '../../src/data/splitDirectory';
import { syntheticSet } from './synthetic';

/** An ID split `id` and `count` OOD splits `ood1…` shifted by growing offsets. */
export function writeSweepRoot(root: string, options: { count?: number; rows?: number; dim?: number; image?: boolean } = {}): string[] {
  const names = ['id'];
  writeSplitFolder(join(root, 'id'), syntheticSet(options.rows ?? 12, options.dim ?? 16, 1, { image: options.image }));
  for (let k = 1; k <= (options.count ?? 4); k++) {
    names.push(`ood${k}`);
    writeSplitFolder(join(root, `ood${k}`), syntheticSet(options.rows ?? 12, options.dim ?? 16, 1 + k, { image: options.image, offset: 0.4 * k }));
  }
  return names;
}
