/** Writes synthetic split folders (the layout `emishift sweep` reads) for tests. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpyMatrix } from '../../src/data/npy';
import type { EmbeddingSet } from '../../src/interface';
import { syntheticSet } from './synthetic';

export function writeSplitFolder(directory: string, set: EmbeddingSet): void {
  mkdirSync(directory, { recursive: true });
  if (set.image) writeNpyMatrix(join(directory, 'v.npy'), set.image);
  writeNpyMatrix(join(directory, 't.npy'), set.text);
  writeNpyMatrix(join(directory, 'yhat.npy'), set.response);
  writeNpyMatrix(join(directory, 'y.npy'), set.reference);
}

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
