/**
 * The byte emitter against the binary format: LEB128 as the spec's examples give
 * it, and small modules the engine must accept and run as written.
 */
import { describe, expect, it } from 'vitest';
import { Code, encodeModule, f32, i32, sleb, uleb } from '../../../../main/engine/kernels/gemm/wasm-emitter';

describe('LEB128', () => {
  it.each([
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [261, [0x85, 0x02]], // f32x4.relaxed_madd's opcode
    [624485, [0xe5, 0x8e, 0x26]],
  ])('unsigned %i', (value, bytes) => expect(uleb(value)).toEqual(bytes));

  it.each([
    [0, [0x00]],
    [63, [0x3f]],
    [64, [0xc0, 0x00]],
    [-1, [0x7f]],
    [-64, [0x40]],
    [-65, [0xbf, 0x7f]],
    [-123456, [0xc0, 0xbb, 0x78]],
  ])('signed %i', (value, bytes) => expect(sleb(value)).toEqual(bytes));
});

describe('modules', () => {
  it('a loop summing f32s from the imported memory runs as written', () => {
    // sum(ptr, n): Σ memory[ptr + 4i], i < n
    const code = new Code(2);
    const [ptr, n] = [0, 1];
    const total = code.local(f32);
    code.block().get(n).i32Eqz().brIf(0).loop();
    code.get(total).get(ptr).f32Load().f32Add().set(total);
    code.get(ptr).i32Const(4).i32Add().set(ptr);
    code.get(n).i32Const(1).i32Sub().tee(n).brIf(0);
    code.end().end();
    code.get(total);
    const bytes = encodeModule([{ params: [i32, i32], results: [f32], code, exportName: 'sum' }]);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1 });
    new Float32Array(memory.buffer).set([1.5, 2, -4, 8], 4);
    const { sum } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as { sum: (p: number, n: number) => number };
    expect(sum(16, 4)).toBe(7.5);
    expect(sum(16, 0)).toBe(0);
  });

  it('SIMD: a splat, a multiply and a store give four lanes', () => {
    // fill4(dst, x): dst[0..4) = x · (1, 1, 1, 1) · 2 via f32x4 ops
    const code = new Code(2);
    code.get(0).get(1).f32x4Splat().f32Const(2).f32x4Splat().f32x4Mul().v128Store();
    const bytes = encodeModule([{ params: [i32, f32], results: [], code, exportName: 'fill4' }]);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { fill4 } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as { fill4: (p: number, x: number) => void };
    fill4(32, 1.25);
    expect(Array.from(new Float32Array(memory.buffer, 32, 4))).toEqual([2.5, 2.5, 2.5, 2.5]);
  });
});
