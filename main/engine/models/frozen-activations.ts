/**
 * A frozen activation pattern: which ReLU/ELU units are on and which input each
 * max-pool window picks, recorded at one point w and replayed at nearby points.
 *
 * Why: curvature estimators take finite differences of the loss or the gradient
 * along ĝ_l over ±h. On a ReLU network a step of h = 1e-3·‖w‖ flips a few
 * pre-activations' signs, and a difference across such a kink measures the jump,
 * not H (docs/methods.md has the numbers: gradient-difference 12–21 % off on an
 * 8-16-8-4 MLP, 98 % on a small CNN, up to 20× on a small ResNet).
 * With the pattern of w replayed, the network is smooth in the weights (for a
 * ReLU MLP/CNN without batch norm the logits are even affine in one layer's
 * weights), and its Hessian at w is the Hessian of the real network wherever
 * that exists (everywhere but on the kinks themselves, a set of measure zero).
 *
 * One forward pass in `record` mode visits the activations in order and keeps
 * their masks; every later pass replays them in the same order (`rewind` before
 * each pass). The model's ordinary forward (no `frozen` in its ForwardMode) is
 * untouched.
 */
import * as tf from '@tensorflow/tfjs-core';

export class FrozenActivations {
  private readonly masks: tf.Tensor[] = [];
  private next = 0;
  private recording = true;

  /** true until `replay()`: passes record their masks */
  get isRecording(): boolean {
    return this.recording;
  }

  /** recorded activation sites (relu, elu and max-pool calls of one forward pass) */
  get size(): number {
    return this.masks.length;
  }

  /** from now on, passes replay the recorded pattern */
  replay(): void {
    this.recording = false;
    this.next = 0;
  }

  /** call before each forward pass: masks are matched to activation sites by order */
  rewind(): void {
    this.next = 0;
  }

  private take(site: string, shape: number[]): tf.Tensor {
    const mask = this.masks[this.next];
    if (!mask) throw new Error(`frozen activations: the forward pass reached ${site} #${this.next + 1}, but only ${this.masks.length} were recorded`);
    if (mask.shape.join() !== shape.join()) {
      throw new Error(`frozen activations: ${site} #${this.next + 1} has shape [${shape}] now, [${mask.shape}] when recorded`);
    }
    this.next += 1;
    return mask;
  }

  private keep(mask: tf.Tensor): void {
    this.masks.push(tf.keep(mask));
  }

  /** relu(x) at the recording point, x·[x₀ > 0] afterwards */
  relu(x: tf.Tensor): tf.Tensor {
    if (this.recording) {
      // the mask is kept off the loss's path: tfjs has no gradient for Greater
      this.keep(tf.tidy(() => tf.cast(tf.greater(x, 0), 'float32')));
      return tf.relu(x);
    }
    return tf.mul(x, this.take('relu', x.shape));
  }

  /** elu(x) at the recording point; afterwards each unit keeps the branch (x or eˣ − 1) it had */
  elu(x: tf.Tensor): tf.Tensor {
    if (this.recording) {
      this.keep(tf.tidy(() => tf.greater(x, 0)));
      return tf.elu(x);
    }
    const positive = this.take('elu', x.shape);
    return tf.where(positive as tf.Tensor, x, tf.sub(tf.exp(x), 1));
  }

  /**
   * maxPool(x, size, size, 'valid') at the recording point; afterwards each window
   * takes the input it picked then. The selection is the gradient of Σ maxPool(x):
   * one 1 per window (the backend's argmax), so the replay is p²·avgPool(x ⊙ mask),
   * exact in float32 for power-of-two p.
   */
  maxPool(x: tf.Tensor4D, size: number): tf.Tensor4D {
    if (this.recording) {
      this.keep(tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, size, size, 'valid')))(x)));
      return tf.maxPool(x, size, size, 'valid');
    }
    const mask = this.take('maxPool', x.shape);
    return tf.mul(tf.avgPool(tf.mul(x, mask) as tf.Tensor4D, size, size, 'valid'), size * size) as tf.Tensor4D;
  }

  dispose(): void {
    tf.dispose(this.masks);
    this.masks.length = 0;
  }
}
