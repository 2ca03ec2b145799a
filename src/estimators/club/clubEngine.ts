/**
 * Where CLUB's network runs: ONNX Runtime (the native engine, its graphs in onnxGraphs.ts) when
 * it is installed, plain TypeScript otherwise. The native module is loaded on first use, so
 * importing CLUB maps no shared library.
 */
import type { Matrix } from '../../interface';
import type { ClubParameters } from './clubParameters';
import { assertClubInput, clubForwardPortable, type ClubForward } from './clubModel';

/** 'native' runs the network in ONNX Runtime; 'portable' in plain TypeScript; 'auto' picks native when installed. */
export type ClubEngine = 'auto' | 'native' | 'portable';

/** The native engine's entry points. */
export type NativeClub = typeof import('./onnxGraphs');

let nativeModule: NativeClub | null | undefined;

/** The native engine for `engine`, or null when CLUB runs portably; 'native' without ONNX Runtime is an Error. */
export function nativeClub(engine: ClubEngine): NativeClub | null {
  if (engine === 'portable') return null;
  if (nativeModule === undefined) {
    try {
      require.resolve('onnxruntime-node');
      nativeModule = require('./onnxGraphs') as NativeClub;
    } catch (error) {
      nativeModule = null;
      if (engine === 'native') throw error;
    }
  }
  if (!nativeModule && engine === 'native') throw new Error('the native CLUB engine needs onnxruntime-node, which is not installed');
  return nativeModule;
}

/** μ(x) and logvar(x) on the chosen engine. */
export async function clubForward(params: ClubParameters, x: Matrix, engine: ClubEngine = 'auto'): Promise<ClubForward> {
  assertClubInput(params, x);
  const native = nativeClub(engine);
  if (!native) return clubForwardPortable(params, x);
  const { mu, logvar } = await native.clubForward(params, x);
  return { rows: x.rows, yDim: params.yDim, mu, logvar };
}
