/**
 * A replica thread: the run's model, built again from the same spec on this thread's own
 * tfjs backend, computing the per-sample losses and the gradient of the rows it is sent.
 * Weights arrive through shared memory (loaded when their version changes), gradients
 * leave through it. It also computes its share of the curvature estimator's layers and of
 * sharpness's blocks, keeping those blocks' warm starts between evaluations.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../backend';
import { buildModel } from '../models/build-model';
import type { Model } from '../models/model';
import { disposeBatch, makeBatch, type Batch } from '../training/batch-source';
import { gradientDifferenceShare } from '../diagnostics/curvature';
import { SharpnessTracker } from '../diagnostics/sharpness';
import { gradientSum, readStats, sampleLosses } from '../training/batch-gradients';
import { readValues } from '../training/read-back';
import { subtreeParts } from '../training/shard-ranges';
import { curvatureLoss } from '../training/step-curvature';
import { copyOut } from './copy-out';
import type { FromReplica, ReplicaSetup, ToReplica } from './shard-messages';

const setup = workerData as ReplicaSetup;
const port = parentPort!;
const post = (message: FromReplica, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

interface Replica {
  model: Model;
  vars: tf.Variable[];
  offsets: number[];
  paramCount: number;
  params: Float32Array;
  grads: Float32Array;
  curvatureGrads: Float32Array;
  /** the warm starts of this replica's sharpness blocks, per main-thread tracker, for its current dealing */
  sharpness: Map<number, { dealing: string; tracker: SharpnessTracker }>;
  version: number;
  x: Float32Array;
  labels: Int32Array;
  featureSize: number;
}

async function start(): Promise<Replica> {
  const backend = await selectBackend(setup.backend);
  const model = buildModel(setup.model, setup.inputShape, setup.numClasses, setup.seed);
  const vars = model.groups.flatMap((g) => g.params);
  const offsets: number[] = [];
  let paramCount = 0;
  for (const v of vars) {
    offsets.push(paramCount);
    paramCount += v.size;
  }
  post({ type: 'ready', shapes: vars.map((v) => v.shape.slice()), backend: backend.name });
  return {
    model,
    vars,
    offsets,
    paramCount,
    params: new Float32Array(setup.params),
    grads: new Float32Array(setup.grads, setup.replica * paramCount * 4, paramCount),
    curvatureGrads: new Float32Array(setup.curvatureGrads),
    sharpness: new Map(),
    version: -1,
    x: new Float32Array(0),
    labels: new Int32Array(0),
    featureSize: setup.inputShape.reduce((a, b) => a * b, 1),
  };
}

// wasm copies a tensor's values into its heap when it is made, so views of the shared memory
// do; the cpu backend keeps the array it is given, which the next step overwrites: a copy
const copied = setup.backend === 'cpu';
const view = <T extends Float32Array | Int32Array>(a: T, start: number, end: number): T => (copied ? a.slice(start, end) : a.subarray(start, end)) as T;

function loadWeights(r: Replica, version: number): void {
  if (r.version === version) return;
  r.vars.forEach((v, i) => {
    const value = tf.tensor(view(r.params, r.offsets[i]!, r.offsets[i]! + v.size), v.shape, 'float32');
    v.assign(value);
    value.dispose();
  });
  r.version = version;
}

function rows(r: Replica, start: number, size: number): Batch {
  const f = r.featureSize;
  return makeBatch(view(r.x, start * f, (start + size) * f), view(r.labels, start, start + size), setup.inputShape, setup.numClasses);
}

/** The layers' gradient-difference pairs on the curvature sub-batch (rows [0, rows)), as the main thread computes its own. */
async function curvature(r: Replica, message: Extract<ToReplica, { type: 'curvature' }>): Promise<void> {
  const batch = rows(r, 0, message.rows);
  const made: tf.Tensor[] = [];
  const tensor = (values: Float32Array, shape: number[]): tf.Tensor => {
    const t = tf.tensor(values, shape, 'float32');
    made.push(t);
    return t;
  };
  try {
    // g as the main thread has it (the step's gradient), one tensor per parameter, grouped by layer
    const given = message.givenGrads
      ? r.model.groups.map((group) => {
          const at = r.vars.indexOf(group.params[0]!);
          return group.params.map((p, i) => tensor(view(r.curvatureGrads, r.offsets[at + i]!, r.offsets[at + i]! + p.size), p.shape));
        })
      : undefined;
    const { pairs, layerMs } = await gradientDifferenceShare(r.model.groups, curvatureLoss(r.model, batch), message.layers, message.settings, given);
    post({ type: 'curvature', id: message.id, pairs, layerMs }, [pairs.buffer as ArrayBuffer]);
  } finally {
    tf.dispose(made);
    disposeBatch(batch);
  }
}

/** Sharpness of the blocks dealt to this replica, on the curvature sub-batch, warm-started from its own last vectors. */
async function sharpness(r: Replica, message: Extract<ToReplica, { type: 'sharpness' }>): Promise<void> {
  let kept = r.sharpness.get(message.owner.tracker);
  if (kept?.dealing !== message.owner.dealing) {
    // a new tracker, or its blocks dealt out anew: start cold, as the main thread does
    kept?.tracker.dispose();
    kept = { dealing: message.owner.dealing, tracker: new SharpnessTracker(message.settings) };
    r.sharpness.set(message.owner.tracker, kept);
  }
  const batch = rows(r, 0, message.rows);
  try {
    const blocks = await kept.tracker.measureBlocks(r.model.groups, curvatureLoss(r.model, batch), message.blocks, message.evaluation);
    post({ type: 'sharpness', id: message.id, blocks });
  } finally {
    disposeBatch(batch);
  }
}

async function handle(r: Replica, message: ToReplica): Promise<void> {
  if (message.type === 'inputs') {
    r.x = new Float32Array(message.x);
    r.labels = new Int32Array(message.labels);
    return;
  }
  loadWeights(r, message.version);
  if (message.type === 'curvature') return curvature(r, message);
  if (message.type === 'sharpness') return sharpness(r, message);
  const { rows: span, parts } = subtreeParts(message.parts, { first: 0, end: message.parts.length });
  const batch = rows(r, span.start, span.size);
  try {
    if (message.type === 'losses') {
      const { losses, correct } = await sampleLosses(r.model, batch, parts);
      post({ type: 'losses', id: message.id, losses, correct }, [losses.buffer as ArrayBuffer]);
      return;
    }
    const { grads, stats, partSquares } = gradientSum(r.model, batch, parts, message.mask, message.divisor, message.partNorms);
    let squares: Float32Array | null = null;
    try {
      for (let i = 0; i < grads.length; i++) await copyOut(grads[i]!, r.grads, r.offsets[i]!);
      if (partSquares) squares = (await readValues(partSquares.squares)) as Float32Array;
    } finally {
      grads.forEach((g) => g.dispose());
      partSquares?.squares.dispose();
    }
    const { lossSum, correct } = stats ? await readStats(stats) : { lossSum: NaN, correct: NaN };
    post({ type: 'gradients', id: message.id, lossSum, correct, partSquares: squares }, squares ? [squares.buffer as ArrayBuffer] : []);
  } finally {
    disposeBatch(batch);
  }
}

function describe(error: unknown): { name: string; message: string; stack?: string } {
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message, stack: e.stack };
}

const replica = start();
replica.catch((error) => post({ type: 'failed', id: null, error: describe(error) }));
// one request at a time, in the order sent (an 'inputs' message must land before the request that follows it)
let queue: Promise<unknown> = replica;
port.on('message', (message: ToReplica) => {
  queue = queue.then(async () => {
    const r = await replica;
    try {
      await handle(r, message);
    } catch (error) {
      post({ type: 'failed', id: 'id' in message ? message.id : null, error: describe(error) });
    }
  });
  queue.catch(() => undefined);
});
