/**
 * The tfjs wasm backend's heap as the GEMM module sees it: the backend's own
 * WebAssembly.Memory (imported by the module, so tensors are read and written in
 * place) and its malloc/free (scratch must live in the same memory). The import is
 * the Memory object, not its buffer, so a heap that grows mid-run stays valid.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { wasmApi, type WasmModule } from './wasm-api';
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

/**
 * A generated module, compiled once and instantiated once per backend heap (per emscripten
 * instance: a re-created backend gets a fresh one). Null where the engine rejects the module
 * or the heap cannot be imported: callers then take their JS route.
 */
export class HeapModule {
  private compiled: WasmModule | null | undefined;
  private readonly instances = new WeakMap<object, Record<string, unknown> | null>();

  constructor(private readonly bytes: () => Uint8Array) {}

  /** the compiled module, or null where the engine rejects it */
  module(): WasmModule | null {
    if (this.compiled === undefined) {
      const bytes = this.bytes();
      this.compiled = wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
    }
    return this.compiled;
  }

  /** the exports of its instance on `backend`'s heap */
  exportsOn(backend: BackendWasm): Record<string, unknown> | null {
    let found = this.instances.get(backend.wasm);
    if (found === undefined) {
      const heap = wasmHeapOf(backend);
      const module = this.module();
      found = heap && module ? new wasmApi.Instance(module, { env: { memory: heap.memory } }).exports : null;
      this.instances.set(backend.wasm, found);
    }
    return found;
  }
}
