/**
 * A run's replica threads (worker_threads of the training process): T − 1 of them, shard 0
 * being the main thread's own. Shared memory carries the weights out (copied when they
 * changed since the last copy, read once by every replica) and the gradients back (one
 * region per replica); messages carry only row ranges, masks and per-sample losses. The
 * curvature estimators deal layers out to the replicas too (curvature.ts), g going through
 * one more shared region, and sharpness its blocks (sharpness.ts), each replica keeping its
 * blocks' warm starts.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from '../../../common/spec';
import type { LayerPairs, ShardedEstimateSettings } from '../diagnostics/curvature';
import type { BlockEigen, SharpnessOwner, SharpnessSettings } from '../diagnostics/sharpness';
import type { Model } from '../models/model';
import type { Batch, SampleBuffers } from '../training/batch-source';
import type { GradientShards, SampleLosses, ShardGradients } from '../training/batch-gradients';
import type { ShardRange } from '../training/shard-ranges';
import { copyOut } from './copy-out';
import type { FromReplica, ReplicaSetup, ToReplica } from './shard-messages';

/** A replica thread failed to start, crashed or reported an error. */
export class ShardError extends Error {
  override name = 'ShardError';
}

export interface ShardPoolOptions {
  /** total threads, the main one included (≥ 2) */
  threads: number;
  /** the main thread's backend; replicas load the same one */
  backend: 'wasm' | 'cpu';
  model: ModelSpec;
  /** the main model, whose parameter shapes every replica must match */
  reference: Model;
  inputShape: number[];
  numClasses: number;
  seed: number;
}

interface Pending {
  resolve: (message: FromReplica) => void;
  reject: (error: Error) => void;
}

interface ReplicaThread {
  worker: Worker;
  pending: Map<number, Pending>;
}

function replicaEntry(): { file: string; entry?: string } {
  const here = dirname(fileURLToPath(import.meta.url));
  // a built app bundles the replica as shard-worker.js beside this code (electron.vite.config.ts)
  const built = join(here, 'shard-worker.js');
  if (existsSync(built)) return { file: built };
  // sources under plain Node: a small ESM shim registers tsx in the thread, then loads the entry
  return { file: join(here, 'shard-thread-boot.mjs'), entry: pathToFileURL(join(here, 'shard-worker.ts')).href };
}

export class ShardPool implements GradientShards {
  private readonly replicas: ReplicaThread[] = [];
  private readonly params: Float32Array;
  private readonly grads: Float32Array;
  private readonly curvatureGrads: Float32Array;
  private readonly offsets: number[] = [];
  private readonly paramCount: number;
  private readonly featureSize: number;
  private x = new Float32Array(new SharedArrayBuffer(0));
  private labels = new Int32Array(new SharedArrayBuffer(0));
  /** what the shared rows hold: a batch source's gather into them, a batch copied in, or nothing yet */
  private holding: Batch | 'gathered' | null = null;
  private version = 0;
  private nextId = 0;
  private failure: Error | null = null;
  private closing = false;

  private constructor(readonly threads: number, private readonly options: ShardPoolOptions) {
    let count = 0;
    for (const v of options.reference.groups.flatMap((g) => g.params)) {
      this.offsets.push(count);
      count += v.size;
    }
    this.paramCount = count;
    this.featureSize = options.inputShape.reduce((a, b) => a * b, 1);
    this.params = new Float32Array(new SharedArrayBuffer(count * 4));
    this.grads = new Float32Array(new SharedArrayBuffer((threads - 1) * count * 4));
    this.curvatureGrads = new Float32Array(new SharedArrayBuffer(count * 4));
  }

  /** Starts the replica threads and waits until each has built its model on its backend. */
  static async start(options: ShardPoolOptions): Promise<ShardPool> {
    if (!Number.isInteger(options.threads) || options.threads < 2) throw new ShardError(`a shard pool needs at least 2 threads, got ${options.threads}`);
    const pool = new ShardPool(options.threads, options);
    try {
      await Promise.all(Array.from({ length: options.threads - 1 }, (_, r) => pool.startReplica(r)));
    } catch (error) {
      await pool.dispose();
      throw error;
    }
    return pool;
  }

  private startReplica(replica: number): Promise<void> {
    const { file, entry } = replicaEntry();
    const setup: ReplicaSetup = {
      replica,
      backend: this.options.backend,
      model: this.options.model,
      inputShape: this.options.inputShape,
      numClasses: this.options.numClasses,
      seed: this.options.seed,
      params: this.params.buffer as SharedArrayBuffer,
      grads: this.grads.buffer as SharedArrayBuffer,
      curvatureGrads: this.curvatureGrads.buffer as SharedArrayBuffer,
      ...(entry ? { entry } : {}),
    };
    const worker = new Worker(file, { workerData: setup });
    const thread: ReplicaThread = { worker, pending: new Map() };
    this.replicas.push(thread);
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const fail = (error: Error): void => {
        if (!ready) reject(error);
        this.fail(error);
      };
      worker.on('message', (message: FromReplica) => {
        if (message.type === 'ready') {
          const expected = this.options.reference.groups.flatMap((g) => g.params.map((p) => p.shape.join('x')));
          if (message.shapes.map((s) => s.join('x')).join(',') !== expected.join(',')) {
            return fail(new ShardError(`replica ${replica + 1} built a model with other parameter shapes (${message.shapes.join(' ')})`));
          }
          ready = true;
          return resolve();
        }
        if (message.type === 'failed' && message.id === null) {
          return fail(new ShardError(`replica thread ${replica + 1}: ${message.error.name}: ${message.error.message}`));
        }
        if (message.id === null) return;
        const pending = thread.pending.get(message.id);
        if (!pending) return;
        thread.pending.delete(message.id);
        if (message.type === 'failed') pending.reject(new ShardError(`replica thread ${replica + 1}: ${message.error.name}: ${message.error.message}`));
        else pending.resolve(message);
      });
      worker.on('error', (error) => fail(new ShardError(`replica thread ${replica + 1} crashed: ${error.message}`)));
      worker.on('exit', (code) => {
        if (!this.closing) fail(new ShardError(`replica thread ${replica + 1} exited (code ${code})`));
      });
    });
  }

  /** A failed replica fails every request in flight and every later one: the run stops with the error. */
  private fail(error: Error): void {
    this.failure ??= error;
    for (const r of this.replicas) {
      for (const p of r.pending.values()) p.reject(error);
      r.pending.clear();
    }
  }

  shardsFor(batchSize: number): number {
    return Math.min(this.threads, batchSize);
  }

  /**
   * Buffers in the memory the replicas read, for a batch source to gather into: a batch
   * gathered there reaches the replicas with no copy at all. Grown (and the replicas told)
   * when a batch is larger than any before.
   */
  readonly sampleBuffers: SampleBuffers = (rows) => {
    if (rows > this.labels.length) {
      // grow for the largest batch so far (batch-size schedules only grow, as a rule)
      this.x = new Float32Array(new SharedArrayBuffer(rows * this.featureSize * 4));
      this.labels = new Int32Array(new SharedArrayBuffer(rows * 4));
      for (const r of this.replicas) this.send(r, { type: 'inputs', x: this.x.buffer, labels: this.labels.buffer });
    }
    this.holding = 'gathered';
    return { x: this.x.subarray(0, rows * this.featureSize), labels: this.labels.subarray(0, rows) };
  };

  /** the weights' data as last copied out (tfjs gives a variable new data on every assign, never changing data in place) */
  private copiedData: readonly object[] = [];
  /** how many times prepare copied the weights out (the rest found them unchanged since) */
  weightCopies = 0;

  async prepare(model: Model, batch: Batch): Promise<void> {
    if (this.failure) throw this.failure;
    const vars = model.groups.flatMap((g) => g.params);
    const data = vars.map((v) => v.dataId);
    // the ΔL pass after an update and the next step's gradients see the same weights: copied once
    const unchanged = data.length === this.copiedData.length && data.every((d, i) => d === this.copiedData[i]);
    if (!unchanged) {
      await Promise.all(vars.map((v, i) => copyOut(v, this.params, this.offsets[i]!)));
      this.copiedData = data;
      this.version += 1;
      this.weightCopies += 1;
    }
    const { x, labels } = batch.host;
    // a batch gathered into sampleBuffers is already where the replicas read
    const inPlace = x.buffer === this.x.buffer && x.byteOffset === 0 && labels.buffer === this.labels.buffer && labels.byteOffset === 0;
    if (inPlace) {
      if (this.holding !== 'gathered') throw new ShardError('a batch gathered into the shared rows was prepared after another batch had been copied over them');
    } else if (this.holding !== batch) {
      const shared = this.sampleBuffers(labels.length);
      shared.x.set(x);
      shared.labels.set(labels);
      this.holding = batch;
    }
  }

  async prepareCurvature(model: Model, batch: Batch, grads: tf.Tensor[][] | null): Promise<void> {
    await this.prepare(model, batch);
    if (grads) await Promise.all(grads.flat().map((g, i) => copyOut(g, this.curvatureGrads, this.offsets[i]!)));
  }

  /** per-layer ms of the last curvature estimate split across the threads (curvature.ts deals the next one by them) */
  curvatureLayerMs: number[] | null = null;

  async curvature(replica: number, rows: number, layers: number[], givenGrads: boolean, settings: ShardedEstimateSettings): Promise<LayerPairs> {
    const reply = await this.request(replica, { type: 'curvature', id: this.nextId++, version: this.version, rows, layers, givenGrads, settings });
    if (reply.type !== 'curvature') throw new ShardError(`replica thread ${replica + 1} answered ${reply.type} to curvature`);
    return { pairs: reply.pairs, layerMs: reply.layerMs };
  }

  async sharpness(replica: number, rows: number, blocks: number[], evaluation: number, settings: SharpnessSettings, owner: SharpnessOwner): Promise<BlockEigen[]> {
    const reply = await this.request(replica, { type: 'sharpness', id: this.nextId++, version: this.version, rows, blocks, evaluation, settings, owner });
    if (reply.type !== 'sharpness') throw new ShardError(`replica thread ${replica + 1} answered ${reply.type} to sharpness`);
    return reply.blocks;
  }

  async losses(replica: number, parts: readonly ShardRange[]): Promise<SampleLosses> {
    const reply = await this.request(replica, { type: 'losses', id: this.nextId++, version: this.version, parts: [...parts] });
    if (reply.type !== 'losses') throw new ShardError(`replica thread ${replica + 1} answered ${reply.type} to losses`);
    return { losses: reply.losses, correct: reply.correct };
  }

  async gradients(replica: number, parts: readonly ShardRange[], mask: Float32Array | null, divisor: number, partNorms: boolean): Promise<ShardGradients> {
    const reply = await this.request(replica, { type: 'gradients', id: this.nextId++, version: this.version, parts: [...parts], mask, divisor, partNorms });
    if (reply.type !== 'gradients') throw new ShardError(`replica thread ${replica + 1} answered ${reply.type} to gradients`);
    const base = replica * this.paramCount;
    const grads = this.offsets.map((offset, i) => {
      const end = i + 1 < this.offsets.length ? this.offsets[i + 1]! : this.paramCount;
      return this.grads.subarray(base + offset, base + end);
    });
    return { grads, lossSum: reply.lossSum, correct: reply.correct, partSquares: reply.partSquares };
  }

  private request(replica: number, message: Extract<ToReplica, { id: number }>): Promise<FromReplica> {
    if (this.failure) return Promise.reject(this.failure);
    const thread = this.replicas[replica];
    if (!thread) return Promise.reject(new ShardError(`no replica thread ${replica + 1}`));
    return new Promise((resolve, reject) => {
      thread.pending.set(message.id, { resolve, reject });
      this.send(thread, message);
    });
  }

  private send(thread: ReplicaThread, message: ToReplica): void {
    thread.worker.postMessage(message);
  }

  /** Ends every replica thread (idempotent); requests still in flight fail. */
  async dispose(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.fail(new ShardError('the shard pool was closed'));
    await Promise.all(this.replicas.map((r) => r.worker.terminate()));
  }
}
