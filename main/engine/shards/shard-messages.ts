/** Messages between a run's main thread (shard-pool.ts) and one replica thread (shard-worker.ts). */
import type { ModelSpec } from '../../../common/spec';
import type { ShardedEstimateSettings } from '../diagnostics/curvature';
import type { BlockEigen, SharpnessOwner, SharpnessSettings } from '../diagnostics/sharpness';
import type { ShardRange } from '../training/shard-ranges';

export interface ReplicaSetup {
  /** which replica this is: its gradient lives at [replica · P, (replica + 1) · P) of `grads` */
  replica: number;
  backend: 'wasm' | 'cpu';
  model: ModelSpec;
  inputShape: number[];
  numClasses: number;
  seed: number;
  /** the main model's weights, flat in parameter order (P floats) */
  params: SharedArrayBuffer;
  /** every replica's gradient, flat (replicas · P floats) */
  grads: SharedArrayBuffer;
  /** g for the curvature estimators where the main thread has it (P floats) */
  curvatureGrads: SharedArrayBuffer;
  /** TypeScript entry to load in development (through tsx); absent in a built app */
  entry?: string;
}

export type ToReplica =
  /** the batch buffers changed (grown); samples are row-major features and int32 labels */
  | { type: 'inputs'; x: SharedArrayBuffer; labels: SharedArrayBuffer }
  /** parts: reduction parts (rows of the whole batch) of one subtree, contiguous and in order */
  | { type: 'losses'; id: number; version: number; parts: ShardRange[] }
  | {
      type: 'gradients';
      id: number;
      version: number;
      parts: ShardRange[];
      /** the subtree's rows of the discard mask */
      mask: Float32Array | null;
      divisor: number;
      partNorms: boolean;
    }
  /**
   * estimator 1's [κ_l, error_l] pairs of `layers` on the first `rows` rows (the curvature
   * sub-batch), g from curvatureGrads when givenGrads, else computed from those rows
   */
  | { type: 'curvature'; id: number; version: number; rows: number; layers: number[]; givenGrads: boolean; settings: ShardedEstimateSettings }
  /** sharpness of `blocks` on the first `rows` rows, warm-started from this replica's own last vectors */
  | { type: 'sharpness'; id: number; version: number; rows: number; blocks: number[]; evaluation: number; settings: SharpnessSettings; owner: SharpnessOwner };

export type FromReplica =
  | { type: 'ready'; shapes: number[][]; backend: string }
  | { type: 'losses'; id: number; losses: Float32Array; correct: number }
  | { type: 'gradients'; id: number; lossSum: number; correct: number; partSquares: Float32Array | null }
  | { type: 'curvature'; id: number; pairs: Float32Array; layerMs: number[] }
  | { type: 'sharpness'; id: number; blocks: BlockEigen[] }
  | { type: 'failed'; id: number | null; error: { name: string; message: string; stack?: string } };
