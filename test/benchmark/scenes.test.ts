import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import { InputError } from '../../src/errors';
import {
  COLOURS,
  PALETTE,
  backgroundRgb,
  generateScene,
  objectGeometry,
  renderScene,
  type Scene,
} from '../../src/benchmark/scenes';
import { encodePng } from '../../src/io/image';

const SEEDS = Array.from({ length: 200 }, (_, i) => i * 7919 + 3);

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

test('generateScene and rendering are deterministic in the seed', () => {
  for (const seed of [0, 1, 42, 0xffffffff]) {
    const a = generateScene(seed);
    const b = generateScene(seed);
    assert.deepEqual(a, b);
    assert.deepEqual(encodePng(renderScene(a)), encodePng(renderScene(b)));
  }
  assert.notDeepEqual(generateScene(1), generateScene(2));
  assert.notDeepEqual(encodePng(renderScene(generateScene(1))), encodePng(renderScene(generateScene(2))));
});

test('scenes and pixels are pinned: the same seed gives the same image on every machine', () => {
  // Raw RGBA is hashed, not PNG bytes, so a different zlib cannot break it; a change here means
  // every stored benchmark image changes.
  const checker = generateScene(12345);
  assert.deepEqual(checker.background, { texture: 'checker', colour: 'black', noiseSeed: 2974739204 });
  assert.deepEqual(
    checker.objects.map((o) => `${o.size} ${o.colour} ${o.shape} ${o.position.row} ${o.position.column}`),
    ['small yellow circle top left', 'small green triangle top right', 'large blue square middle left', 'small blue square middle right', 'large yellow square bottom right'],
  );
  assert.equal(sha256(renderScene(checker).rgba), '75e538db0983a562ac8f9ec47d55767fe5ca64d4f805a1049943894636912755');
  const noise = generateScene(0);
  assert.equal(noise.background.texture, 'noise');
  assert.equal(sha256(renderScene(noise).rgba), 'c4d9258de6e1a5bdeea6dda646778387b748fbf25376de68d3149cb8e235f21f');
});

test('the PNG decodes to the declared size and the rendered pixels', () => {
  for (const size of [{}, { width: 96, height: 48 }, { width: 17, height: 130 }]) {
    const image = renderScene(generateScene(7), size);
    const decoded = PNG.sync.read(Buffer.from(encodePng(image)));
    assert.equal(decoded.width, image.width);
    assert.equal(decoded.height, image.height);
    assert.equal(decoded.width, (size as { width?: number }).width ?? 64);
    assert.equal(decoded.height, (size as { height?: number }).height ?? 64);
    assert.deepEqual(new Uint8Array(decoded.data), image.rgba);
  }
});

test('scenes hold 1–5 objects in distinct cells, in reading order, never in the background colour', () => {
  const counts = new Set<number>();
  const textures = new Set<string>();
  for (const seed of SEEDS) {
    const scene = generateScene(seed);
    counts.add(scene.objects.length);
    textures.add(scene.background.texture);
    assert.ok(scene.objects.length >= 1 && scene.objects.length <= 5);
    const cells = scene.objects.map((o) => ['top', 'middle', 'bottom'].indexOf(o.position.row) * 3 + ['left', 'center', 'right'].indexOf(o.position.column));
    assert.equal(new Set(cells).size, cells.length);
    assert.deepEqual(cells, [...cells].sort((a, b) => a - b));
    for (const object of scene.objects) assert.notEqual(object.colour, scene.background.colour);
  }
  assert.deepEqual([...counts].sort(), [1, 2, 3, 4, 5]);
  assert.equal(textures.size, 4);
});

test('objects do not overlap and lie inside the image, at several sizes', () => {
  for (const [width, height] of [[64, 64], [100, 40], [16, 16]]) {
    for (const seed of SEEDS) {
      const scene = generateScene(seed, { minObjects: 5, maxObjects: 9 });
      const boxes = scene.objects.map((o) => {
        const g = objectGeometry(o, width, height);
        return { x0: g.cx - g.half, x1: g.cx + g.half, y0: g.cy - g.half, y1: g.cy + g.half };
      });
      for (const box of boxes) {
        assert.ok(box.x0 >= 0 && box.y0 >= 0 && box.x1 <= width && box.y1 <= height, `${width}x${height} seed ${seed}`);
      }
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i];
          const b = boxes[j];
          const apart = a.x1 < b.x0 || b.x1 < a.x0 || a.y1 < b.y0 || b.y1 < a.y0;
          assert.ok(apart, `objects ${i} and ${j} overlap in seed ${seed}`);
        }
      }
    }
  }
});

test('the rendered colour at each object centre is its declared colour', () => {
  for (const [width, height] of [[64, 64], [128, 80]]) {
    for (const seed of SEEDS) {
      const scene = generateScene(seed);
      const image = renderScene(scene, { width, height });
      for (const object of scene.objects) {
        const g = objectGeometry(object, width, height);
        const at = (Math.floor(g.cy) * width + Math.floor(g.cx)) * 4;
        assert.deepEqual([...image.rgba.slice(at, at + 3)], [...PALETTE[object.colour]], `seed ${seed} ${object.shape}`);
      }
    }
  }
});

test('shapes are drawn as their shape: the corners of a square are filled, of a circle and triangle not', () => {
  const base: Scene = { seed: 0, background: { texture: 'plain', colour: 'white', noiseSeed: 0 }, objects: [] };
  const bg = [...backgroundRgb('white')];
  for (const shape of ['circle', 'square', 'triangle'] as const) {
    const object = { shape, colour: 'red' as const, size: 'large' as const, position: { row: 'middle' as const, column: 'center' as const }, offset: { dx: 0, dy: 0 } };
    const image = renderScene({ ...base, objects: [object] }, { width: 90, height: 90 });
    const g = objectGeometry(object, 90, 90);
    const pixel = (x: number, y: number) => {
      const at = (Math.floor(y) * 90 + Math.floor(x)) * 4;
      return [...image.rgba.slice(at, at + 3)];
    };
    const topLeftCorner = pixel(g.cx - g.half + 1, g.cy - g.half + 1);
    assert.deepEqual(topLeftCorner, shape === 'square' ? [...PALETTE.red] : bg, shape);
    // Bottom corners belong to the square and the triangle's base, not to the circle.
    const bottomLeftCorner = pixel(g.cx - g.half + 1.5, g.cy + g.half - 1);
    assert.deepEqual(bottomLeftCorner, shape === 'circle' ? bg : [...PALETTE.red], shape);
    assert.deepEqual(pixel(2, 2), bg);
  }
});

test('palette colours are far apart, and far from every background tint', () => {
  const distance = (a: readonly number[], b: readonly number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
  for (const a of COLOURS) {
    for (const b of COLOURS) if (a !== b) assert.ok(distance(PALETTE[a], PALETTE[b]) > 90, `${a} vs ${b}`);
    for (const background of ['white', 'gray', 'black', ...COLOURS] as const) {
      if (background !== a) assert.ok(distance(PALETTE[a], backgroundRgb(background)) > 70, `${a} on ${background}`);
    }
  }
});

test('bad input is an InputError', () => {
  assert.throws(() => generateScene(-1), InputError);
  assert.throws(() => generateScene(1.5), InputError);
  assert.throws(() => generateScene(1, { minObjects: 0 }), InputError);
  assert.throws(() => generateScene(1, { maxObjects: 10 }), InputError);
  assert.throws(() => generateScene(1, { minObjects: 4, maxObjects: 3 }), InputError);
  assert.throws(() => renderScene(generateScene(1), { width: 8 }), InputError);
  assert.throws(() => renderScene(generateScene(1), { height: 64.5 }), InputError);
});
