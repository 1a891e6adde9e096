/** Registers Batchscope's fast kernels for the backends they help. Idempotent. */
export function registerFastKernels(_backendName: string): void {
  // filled in by the kernels module
}
