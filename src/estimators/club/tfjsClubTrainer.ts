/**
 * CLUB training in TensorFlow.js: the portable engine, and the template for users who define
 * and train their own estimators with tfjs. Weights are held transposed (in × out) so that every
 * forward product is a plain matMul: tfjs-wasm's transposed matMul is many times slower.
 */
import { loadTfjs } from '../../backend/tfjs';
import type { ClubParameters } from './clubParameters';
import { ADAM, type ClubTrainer } from './clubTrainer';

function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}

export async function createTfjsClubTrainer(initial: ClubParameters, options: { learningRate: number }): Promise<ClubTrainer> {
  const { tf, backend } = await loadTfjs();
  const { xDim, yDim, hiddenDim } = initial;
  const variable = (values: Float32Array, shape: number[]) => tf.variable(tf.tensor(values, shape, 'float32'));
  const weights = {
    muW1: variable(transpose(initial.muW1, hiddenDim, xDim), [xDim, hiddenDim]),
    muB1: variable(initial.muB1, [hiddenDim]),
    muW2: variable(transpose(initial.muW2, yDim, hiddenDim), [hiddenDim, yDim]),
    muB2: variable(initial.muB2, [yDim]),
    logvarW1: variable(transpose(initial.logvarW1, hiddenDim, xDim), [xDim, hiddenDim]),
    logvarB1: variable(initial.logvarB1, [hiddenDim]),
    logvarW2: variable(transpose(initial.logvarW2, yDim, hiddenDim), [hiddenDim, yDim]),
    logvarB2: variable(initial.logvarB2, [yDim]),
  };
  const optimizer = tf.train.adam(options.learningRate, ADAM.beta1, ADAM.beta2, ADAM.epsilon);
  const loss = (x: import('@tensorflow/tfjs').Tensor2D, y: import('@tensorflow/tfjs').Tensor2D) => {
    const mu = tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, weights.muW1), weights.muB1)), weights.muW2), weights.muB2);
    const logvar = tf.tanh(tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, weights.logvarW1), weights.logvarB1)), weights.logvarW2), weights.logvarB2));
    const perElement = tf.add(tf.mul(tf.square(tf.sub(mu, y)), tf.exp(tf.neg(logvar))), logvar);
    return tf.div(tf.sum(perElement), x.shape[0]) as import('@tensorflow/tfjs').Scalar;
  };
  return {
    engine: `tfjs (${backend === 'tensorflow' ? 'tfjs-node, native TensorFlow' : backend === 'wasm' ? 'WASM backend' : 'CPU backend'})`,
    async step(x, y, rows) {
      const value = tf.tidy(() => {
        const xs = tf.tensor2d(x.subarray(0, rows * xDim), [rows, xDim]);
        const ys = tf.tensor2d(y.subarray(0, rows * yDim), [rows, yDim]);
        return optimizer.minimize(() => loss(xs, ys), true) as import('@tensorflow/tfjs').Scalar;
      });
      const [result] = await value.data();
      value.dispose();
      return result;
    },
    parameters() {
      const read = (name: keyof typeof weights) => weights[name].dataSync() as Float32Array;
      return {
        xDim,
        yDim,
        hiddenDim,
        muW1: transpose(read('muW1'), xDim, hiddenDim),
        muB1: Float32Array.from(read('muB1')),
        muW2: transpose(read('muW2'), hiddenDim, yDim),
        muB2: Float32Array.from(read('muB2')),
        logvarW1: transpose(read('logvarW1'), xDim, hiddenDim),
        logvarB1: Float32Array.from(read('logvarB1')),
        logvarW2: transpose(read('logvarW2'), hiddenDim, yDim),
        logvarB2: Float32Array.from(read('logvarB2')),
      };
    },
    dispose() {
      optimizer.dispose();
      for (const tensor of Object.values(weights)) tensor.dispose();
    },
  };
}
