/**
 * Writes WebAssembly binary modules byte by byte. This environment has no wasm
 * toolchain (no wabt, no emscripten), so the GEMM's module is generated from
 * TypeScript: a function body is a `Code` builder whose methods append one
 * instruction each (the binary format of the WebAssembly core spec, §5, plus the
 * SIMD128 and relaxed-SIMD proposals' opcodes).
 */

export const i32 = 0x7f;
export const f32 = 0x7d;
export const v128 = 0x7b;
export type ValType = typeof i32 | typeof f32 | typeof v128;

/** unsigned LEB128 */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** signed LEB128 (i32.const takes its immediate signed) */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  return vec([...new TextEncoder().encode(text)].map((b) => [b]));
}

const SIMD = 0xfd;

/** One function body: locals are declared as they are asked for, instructions appended in order. */
export class Code {
  readonly bytes: number[] = [];
  private readonly localTypes: ValType[] = [];

  constructor(readonly paramCount: number) {}

  /** a fresh local of `type`; its index follows the parameters */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.paramCount + this.localTypes.length - 1;
  }

  private op(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  private simd(opcode: number, ...immediates: number[]): this {
    return this.op(SIMD, ...uleb(opcode), ...immediates);
  }

  // control
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  if(): this { return this.op(0x04, 0x40); }
  else(): this { return this.op(0x05); }
  end(): this { return this.op(0x0b); }
  br(depth: number): this { return this.op(0x0c, ...uleb(depth)); }
  brIf(depth: number): this { return this.op(0x0d, ...uleb(depth)); }
  return(): this { return this.op(0x0f); }
  call(func: number): this { return this.op(0x10, ...uleb(func)); }
  select(): this { return this.op(0x1b); }

  // variables
  get(local: number): this { return this.op(0x20, ...uleb(local)); }
  set(local: number): this { return this.op(0x21, ...uleb(local)); }
  tee(local: number): this { return this.op(0x22, ...uleb(local)); }

  // memory: offsets are byte offsets added to the address on the stack
  f32Load(offset = 0): this { return this.op(0x2a, 0x02, ...uleb(offset)); }
  f32Store(offset = 0): this { return this.op(0x38, 0x02, ...uleb(offset)); }
  v128Load(offset = 0): this { return this.simd(0x00, 0x04, ...uleb(offset)); }
  v128Store(offset = 0): this { return this.simd(0x0b, 0x04, ...uleb(offset)); }
  v128Load32Splat(offset = 0): this { return this.simd(0x09, 0x02, ...uleb(offset)); }

  // numbers
  i32Const(value: number): this { return this.op(0x41, ...sleb(value)); }
  f32Const(value: number): this {
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    return this.op(0x43, ...bytes);
  }
  i32Eqz(): this { return this.op(0x45); }
  i32Eq(): this { return this.op(0x46); }
  i32LtS(): this { return this.op(0x48); }
  i32GtS(): this { return this.op(0x4a); }
  i32LeS(): this { return this.op(0x4c); }
  i32GeS(): this { return this.op(0x4e); }
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32And(): this { return this.op(0x71); }
  f32Add(): this { return this.op(0x92); }
  f32Sub(): this { return this.op(0x93); }
  f32Mul(): this { return this.op(0x94); }
  f32Div(): this { return this.op(0x95); }
  f32Sqrt(): this { return this.op(0x91); }
  f32Max(): this { return this.op(0x97); }
  f32Ne(): this { return this.op(0x5c); }
  f32Gt(): this { return this.op(0x5e); }

  // SIMD128
  f32x4Splat(): this { return this.simd(0x13); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Div(): this { return this.simd(0xe7); }
  f32x4Sqrt(): this { return this.simd(0xe3); }
  f32x4Mul(): this { return this.simd(0xe6); }
  /** NaN-propagating, max(-0, +0) = +0: Math.max's semantics, which the cpu backend's relu uses */
  f32x4Max(): this { return this.simd(0xe9); }
  i32x4Splat(): this { return this.simd(0x11); }
  f32x4Ne(): this { return this.simd(0x42); }
  f32x4Gt(): this { return this.simd(0x44); }
  i32x4GtS(): this { return this.simd(0x3b); }
  i32x4ShrS(): this { return this.simd(0xac); }
  i32x4Sub(): this { return this.simd(0xb1); }
  v128Not(): this { return this.simd(0x4d); }
  v128And(): this { return this.simd(0x4e); }
  /** a & ~b */
  v128AndNot(): this { return this.simd(0x4f); }
  v128Or(): this { return this.simd(0x50); }
  v128Xor(): this { return this.simd(0x51); }
  /** (a & mask) | (b & ~mask), stack a, b, mask */
  v128Bitselect(): this { return this.simd(0x52); }
  /** relaxed SIMD: a·b + c, fused or not as the engine chooses (fixed per process) */
  f32x4RelaxedMadd(): this { return this.simd(0x105); }

  /** the body as the code section holds it: size, local declarations, instructions, end */
  encode(): number[] {
    const groups: number[][] = [];
    for (const type of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === type) last[0]!++;
      else groups.push([1, type]);
    }
    const body = [...uleb(groups.length), ...groups.flatMap(([count, type]) => [...uleb(count!), type!]), ...this.bytes, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

export interface FunctionDef {
  params: ValType[];
  results: ValType[];
  code: Code;
  /** exported under this name, if given */
  exportName?: string;
}

/**
 * A module that imports one memory (`env.memory`, at least `minPages` pages) and
 * defines `functions` (indices in order, from 0: there are no imported functions).
 */
export function encodeModule(functions: FunctionDef[], minPages = 1): Uint8Array<ArrayBuffer> {
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const imports = [[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(minPages)]];
  const exports = functions.flatMap((f, index) => (f.exportName ? [[...name(f.exportName), 0x00, ...uleb(index)]] : []));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(functions.map((_, index) => uleb(index)))),
    ...section(7, vec(exports)),
    ...section(10, vec(functions.map((f) => f.code.encode()))),
  ]);
}
