/**
 * The tfjs wasm backend's heap as the GEMM module sees it: the backend's own
 * WebAssembly.Memory (imported by the module, so tensors are read and written in
 * place) and its malloc/free (scratch must live in the same memory). The import is
 * the Memory object, not its buffer, so a heap that grows mid-run stays valid.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { wasmApi } from './wasm-api';
import { gemmMode, WasmGemm, type GemmKind, type WasmHeap } from './gemm-module';

interface EmscriptenExports {
  asm?: { memory?: unknown };
  _malloc(bytes: number): number;
  _free(ptr: number): void;
}

/** The heap behind `backend`, or undefined where a module cannot import it (a shared, threaded build). */
export function wasmHeapOf(backend: BackendWasm): WasmHeap | undefined {
  const wasm = backend.wasm as unknown as EmscriptenExports;
  const memory = wasm.asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) return undefined;
  if (typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer) return undefined;
  return { memory, malloc: (bytes) => wasm._malloc(bytes), free: (ptr) => wasm._free(ptr) };
}

// per emscripten instance: a re-created backend gets a fresh instance and scratch
const instances = new WeakMap<object, Map<GemmKind, WasmGemm | null>>();

/** This process's GEMM on `backend`'s heap, or undefined when it is off or cannot run there. */
export function gemmOn(backend: BackendWasm): WasmGemm | undefined {
  const kind = gemmMode();
  if (kind === 'off') return undefined;
  let byKind = instances.get(backend.wasm);
  if (!byKind) instances.set(backend.wasm, (byKind = new Map()));
  let gemm = byKind.get(kind);
  if (gemm === undefined) {
    const heap = wasmHeapOf(backend);
    gemm = heap ? new WasmGemm(kind, heap) : null;
    byKind.set(kind, gemm);
  }
  return gemm ?? undefined;
}
