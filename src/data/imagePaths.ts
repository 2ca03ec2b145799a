/**
 * Image paths in question files (the LLaVA layout: `{"question_id", "image": "001.jpg", "text"}`):
 * where a path is looked up, the rule that keeps it inside its image root, and one read and one
 * decoding check per distinct file.
 *
 * Roots: an explicit image root, or by default the question file's folder and then
 * `<folder>/<file stem>/images/` (the reference code's local layout), tried in that order for
 * each path. A path is refused when it leaves the root it is looked up in, lexically (`..`,
 * absolute paths) or through a symbolic link (its real path is checked against the root's real
 * path), so a question file cannot make the tool read, embed or send files from elsewhere.
 *
 * Every distinct file is read once and checked to be a whole PNG or JPEG (`verifyImageStructure`:
 * chunk CRCs, markers, the end of the file) without decoding its pixels, so a missing, truncated,
 * altered or non-image file is reported with its row and path before anything is embedded,
 * collected or written, at a small fraction of a decode (decoding here as well as in the embedder
 * cost about 13 ms per 224 × 224 PNG on the shared 2-core machine).
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve, sep } from 'node:path';
import { InputError } from '../errors';
import { verifyImageStructure } from '../io/image';
import { describeReadFailure } from '../io/inputFile';

/** The roots a question file's image paths are looked up in when no image root is given: its folder, then `<folder>/<stem>/images`. */
export function defaultImageRoots(questionFile: string): string[] {
  const folder = dirname(resolve(questionFile));
  return [folder, join(folder, basename(questionFile, extname(questionFile)), 'images')];
}

function isInside(root: string, path: string): boolean {
  return path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function realDirectory(root: string): string | undefined {
  try {
    return statSync(root).isDirectory() ? realpathSync(root) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the images a question file names: each distinct file once (by its real path), checked
 * to be a whole PNG or JPEG, and the same bytes handed to every row that names it.
 */
export class ImagePathReader {
  private readonly roots: { given: string; absolute: string; real: string | undefined }[];
  private readonly byRealPath = new Map<string, Uint8Array>();

  /**
   * `questionFile` is named in errors and gives the default roots; `imageRoot` (resolved against
   * the working directory when relative) replaces them and must be a folder.
   */
  constructor(
    private readonly questionFile: string,
    imageRoot?: string,
  ) {
    if (imageRoot !== undefined) {
      const absolute = resolve(imageRoot);
      const real = realDirectory(absolute);
      if (real === undefined) throw new InputError(`expected a folder of images, got '${imageRoot}' (${describeRoot(absolute)})`, { field: 'imageRoot' });
      this.roots = [{ given: imageRoot, absolute, real }];
    } else {
      this.roots = defaultImageRoots(questionFile).map((absolute) => ({ given: absolute, absolute, real: realDirectory(absolute) }));
    }
  }

  /** Distinct image files read so far. */
  get filesRead(): number {
    return this.byRealPath.size;
  }

  /** The bytes of the image at `path`; `where` (`line 3`) names the row in errors. */
  read(path: string, where: string): Uint8Array {
    const location = { file: this.questionFile, field: `${where}: image` };
    if (path.includes('\0')) throw new InputError(`image path ${JSON.stringify(path)} contains a NUL character`, location);
    const tried: string[] = [];
    let insideSomeRoot = false;
    for (const root of this.roots) {
      const candidate = resolve(root.absolute, path);
      if (!isInside(root.absolute, candidate)) continue;
      insideSomeRoot = true;
      tried.push(candidate);
      if (root.real === undefined) continue;
      let real: string;
      try {
        real = realpathSync(candidate);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new InputError(`image '${path}' (${candidate}): ${describeReadFailure(error)}`, location);
      }
      if (!isInside(root.real, real)) {
        throw new InputError(`image '${path}' resolves to ${real}, outside the image root ${root.given} (through a symbolic link); image paths must stay inside the root`, location);
      }
      return this.load(real, path, location);
    }
    if (!insideSomeRoot) {
      const roots = this.roots.map((root) => root.given).join(' or ');
      throw new InputError(`image '${path}' is outside the image root ${roots}${isAbsolute(path) ? ' (an absolute path)' : " (after resolving '..')"}; image paths must stay inside the root`, location);
    }
    throw new InputError(`image '${path}' not found (looked for ${tried.join(', ')})`, location);
  }

  private load(real: string, path: string, location: { file: string; field: string }): Uint8Array {
    const known = this.byRealPath.get(real);
    if (known) return known;
    let bytes: Uint8Array;
    try {
      const buffer = readFileSync(real);
      bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      throw new InputError(`image '${path}' (${real}): ${describeReadFailure(error)}`, location);
    }
    try {
      verifyImageStructure(bytes);
    } catch (error) {
      if (error instanceof InputError) throw new InputError(`image '${path}' (${real}): ${error.message}`, location);
      throw error;
    }
    this.byRealPath.set(real, bytes);
    return bytes;
  }
}

function describeRoot(absolute: string): string {
  try {
    return statSync(absolute).isDirectory() ? 'unreadable' : 'not a folder';
  } catch (error) {
    return describeReadFailure(error) === 'file not found' ? 'not found' : describeReadFailure(error);
  }
}
