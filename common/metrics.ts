/** Metric records produced by the engine, carried by the worker protocol and kept by the store. */

export interface BackendInfo {
  /** the tfjs backend that ran: 'tensorflow' (tfjs-node or tfjs-node-gpu), 'webgpu', 'wasm' or 'cpu' */
  name: string;
  /** which package provided it, e.g. '@tensorflow/tfjs-node-gpu' */
  package: string;
  version: string;
  gpu: boolean;
  /** preferred backends that failed to load, with why */
  fallbacks: { name: string; error: string }[];
  /** the WebGPU adapter the run used (absent for the other backends) */
  adapter?: GpuAdapterInfo;
}

/** What a WebGPU adapter says about itself (GPUAdapterInfo), plus whether it is a software one. */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** a fallback/software adapter (lavapipe, llvmpipe, SwiftShader): correct, not fast */
  software: boolean;
}

export interface LayerInfo {
  name: string;
  kind: 'dense' | 'conv' | 'batchnorm';
  paramCount: number;
  shapes: number[][];
}

export interface RunStarted {
  backend: BackendInfo;
  layers: LayerInfo[];
  paramCount: number;
  trainSamples: number;
  testSamples: number;
  /** planned total optimizer steps (follows the batch-size schedule) */
  totalSteps: number;
  epochs: number;
  /** threads the run trains on (data-parallel shards of each batch); 1 when not split */
  threads?: number;
}

export interface StepMetrics {
  step: number;
  /** fractional epoch at the end of this step */
  epoch: number;
  loss: number;
  accuracy: number;
  batchSize: number;
  samplesSeen: number;
  discarded: number;
  lr: number;
  /** L_B(w(t+1)) − L_B(w(t)) on the same batch, at the diagnostics cadence */
  lossUpdate: number | null;
  /** gradient noise scale B_simple = tr(Σ)/|G|² of the whole network (EMA), at the diagnostics cadence; null where not measured */
  noiseScale: number | null;
  /** top eigenvalue of the network's Hessian on the curvature sub-batch, at the sharpness cadence, else null */
  sharpness: number | null;
  stepMs: number;
  wallMs: number;
}

export interface LayerMetrics {
  step: number;
  layer: number;
  gradNorm: number;
  weightNorm: number;
  updateNorm: number;
  effectiveLr: number;
  /** first-order share g_l · Δw_l of the loss update */
  lossUpdateShare: number | null;
  /** κ_l at the curvature cadence, else null */
  curvature: number | null;
  /** the estimator's own estimate of |κ_l − exact κ_l| (docs/methods.md); null where κ_l is, NaN where it has none */
  curvatureError: number | null;
  /** the layer's gradient noise scale tr(Σ_l)/|G_l|² (EMA), at the diagnostics cadence; null where not measured */
  noiseScale: number | null;
  /** top eigenvalue of the layer's Hessian block H_ll, at the sharpness cadence, else null */
  sharpness: number | null;
  /** ‖w_l(t) − w_l(0)‖ after this step's update; null when geometry is off */
  distanceFromInit: number | null;
  /** cos(Δw_l(t), Δw_l(t−1)) of this and the previous update (negative: the layer oscillates across a valley); null when unknown */
  updateCosine: number | null;
}

export interface EvalMetrics {
  step: number;
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  /** train accuracy − test accuracy */
  gap: number;
  wallMs: number;
}

export interface RunEvent {
  step: number;
  kind: 'batch-size' | 'discard' | 'note';
  detail: Record<string, unknown>;
}

export interface Progress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  accuracy: number;
  samplesPerSec: number;
  etaMs: number;
}

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'diverged' | 'cancelled' | 'interrupted';

export interface RunSummary {
  status: Extract<RunStatus, 'completed' | 'diverged' | 'cancelled'>;
  steps: number;
  epoch: number;
  samplesSeen: number;
  wallMs: number;
  samplesPerSec: number;
  /** the last evaluation taken (for a diverged run: the last good one) */
  lastEval: EvalMetrics | null;
  /** why a run diverged */
  reason?: string;
  /** the network's gradient noise scale B_simple at the end (its EMA; absent or null when not measured) */
  noiseScale?: number | null;
  /** the network's last measured sharpness λ_max (absent or null when not measured) */
  sharpness?: number | null;
}
