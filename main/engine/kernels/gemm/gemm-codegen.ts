/**
 * Generates the GEMM module: C = A·B (+ bias per column, then relu), f32, on the
 * memory it imports (the tfjs wasm backend's heap, so tensors are read in place).
 *
 * The layout is the classic one (Goto & van de Geijn, "Anatomy of high-performance
 * matrix multiplication", 2008): B is packed a block of kc rows at a time into
 * panels of NR columns, so the microkernel's k loop reads B contiguously; A is not
 * packed: a tile of MR rows reads one value per row and k, broadcast to all lanes,
 * through two strides (row, k), which serve A and Aᵀ alike. The microkernel keeps an
 * MR×NR tile of C in MR·NR/4 v128 accumulators.
 *
 * Every element of C is summed in one order fixed by K alone (k ascending within a
 * kc block, blocks added to C in ascending order, then the bias, then relu): the
 * result depends on values and shapes only, not on where a row or column falls in a
 * tile, on addresses, or on the thread. Edges are exact: B's panels are zero-padded
 * and only the valid part of a tile is stored.
 */
import { Code, encodeModule, f32, i32, v128, type FunctionDef } from './wasm-emitter';

export interface GemmShape {
  /** rows of the register tile */
  rows: number;
  /** v128 vectors per row of the tile (NR = 4 · vectors columns) */
  vectors: number;
  /** f32x4.relaxed_madd (one rounding if the engine fuses it) instead of f32x4.mul + f32x4.add */
  relaxed: boolean;
}

/** relaxed: 3×12 (9 accumulators, 3 B vectors, 1 broadcast: 13 of x64's 16 xmm registers) */
export const relaxedTile: GemmShape = { rows: 3, vectors: 3, relaxed: true };
/** plain SIMD128: 4×8, room for the products mul leaves before add */
export const plainTile: GemmShape = { rows: 4, vectors: 2, relaxed: false };
/** relaxed, for products whose N pads badly to 12 columns (16, 32, 64: conv weight gradients) */
export const relaxedNarrowTile: GemmShape = { rows: 4, vectors: 2, relaxed: true };
/** one vector wide, for the last few columns of a product the wider tiles leave (N = 256 = 21·12 + 4), and for N ≤ 4 */
export const relaxedEdgeTile: GemmShape = { rows: 4, vectors: 1, relaxed: true };
export const plainEdgeTile: GemmShape = { rows: 4, vectors: 1, relaxed: false };

/** flags of `macro`'s epilogue */
export const ACCUMULATE = 1;
export const ADD_BIAS = 2;
export const RELU = 4;

/** `while (counter < limit) { body(); counter += step }`; body must not branch out */
function countedLoop(code: Code, counter: number, limit: number, step: number, body: () => void): void {
  code.block().loop();
  code.get(counter).get(limit).i32GeS().brIf(1);
  body();
  code.get(counter).i32Const(step).i32Add().set(counter).br(0);
  code.end().end();
}

/** pushes min(a, b) of two i32 locals */
function min(code: Code, a: number, b: number): void {
  code.get(a).get(b).get(a).get(b).i32LtS().select();
}

/**
 * micro(a, aRow, aK, bp, kc, tmp, c, ldc, flags, bias): the tile's sums
 * Σ_k A[r, k] · Bpanel[k, j] for `rows` rows; with c = 0 they go to tmp[r·NR + j] for
 * storeTile, otherwise they are stored into all NR columns of C as storeTile would
 * (C + sum, + bias, relu by `flags`), straight from the registers.
 */
function microkernel(shape: GemmShape, rows: number): FunctionDef {
  const code = new Code(10);
  const [a, aRow, aK, bp, kc, tmp, c, ldc, flags, bias] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const nr = shape.vectors * 4;
  const acc = Array.from({ length: rows }, () => Array.from({ length: shape.vectors }, () => code.local(v128)));
  const b = Array.from({ length: shape.vectors }, () => code.local(v128));
  const bcast = code.local(v128);
  const rowPtr = Array.from({ length: rows }, () => code.local(i32));
  const k = code.local(i32);

  code.get(a).set(rowPtr[0]!);
  for (let r = 1; r < rows; r++) code.get(rowPtr[r - 1]!).get(aRow).i32Add().set(rowPtr[r]!);
  code.get(kc).set(k);
  code.block();
  code.get(k).i32Eqz().brIf(0);
  code.loop();
  for (let v = 0; v < shape.vectors; v++) code.get(bp).v128Load(16 * v).set(b[v]!);
  for (let r = 0; r < rows; r++) {
    code.get(rowPtr[r]!).v128Load32Splat().set(bcast);
    for (let v = 0; v < shape.vectors; v++) {
      const target = acc[r]![v]!;
      if (shape.relaxed) code.get(bcast).get(b[v]!).get(target).f32x4RelaxedMadd().set(target);
      else code.get(target).get(bcast).get(b[v]!).f32x4Mul().f32x4Add().set(target);
    }
  }
  for (let r = 0; r < rows; r++) code.get(rowPtr[r]!).get(aK).i32Add().set(rowPtr[r]!);
  code.get(bp).i32Const(nr * 4).i32Add().set(bp);
  code.get(k).i32Const(1).i32Sub().tee(k).brIf(0);
  code.end().end();
  code.get(c).i32Eqz().if();
  for (let r = 0; r < rows; r++) {
    for (let v = 0; v < shape.vectors; v++) code.get(tmp).get(acc[r]![v]!).v128Store((r * nr + 4 * v) * 4);
  }
  code.else();
  // storeTile's full-width branch, in its order: C + sum, then + bias, then max(·, 0)
  const row = rowPtr[0]!; // the A row pointers are spent; reused for C's rows
  const epilogue = (bit: number, apply: (x: number, v: number) => void): void => {
    code.get(flags).i32Const(bit).i32And().if();
    for (let r = 0; r < rows; r++) for (let v = 0; v < shape.vectors; v++) apply(acc[r]![v]!, v);
    code.end();
  };
  code.get(flags).i32Const(ACCUMULATE).i32And().if();
  code.get(c).set(row);
  for (let r = 0; r < rows; r++) {
    for (let v = 0; v < shape.vectors; v++) code.get(row).v128Load(16 * v).get(acc[r]![v]!).f32x4Add().set(acc[r]![v]!);
    if (r + 1 < rows) code.get(row).get(ldc).i32Add().set(row);
  }
  code.end();
  epilogue(ADD_BIAS, (x, v) => {
    code.get(x).get(bias).v128Load(16 * v).f32x4Add().set(x);
  });
  epilogue(RELU, (x) => {
    code.get(x).f32Const(0).f32x4Splat().f32x4Max().set(x);
  });
  code.get(c).set(row);
  for (let r = 0; r < rows; r++) {
    for (let v = 0; v < shape.vectors; v++) code.get(row).get(acc[r]![v]!).v128Store(16 * v);
    if (r + 1 < rows) code.get(row).get(ldc).i32Add().set(row);
  }
  code.end();
  return { params: Array.from({ length: 10 }, () => i32), results: [], code };
}

/** store(tmp, mr, nr, c, ldc, flags, bias): C[r, j] = (ACCUMULATE ? C[r, j] : 0) + tmp[r·NR + j], then bias, relu */
function storeTile(shape: GemmShape): FunctionDef {
  const code = new Code(7);
  const [tmp, mr, nr, c, ldc, flags, bias] = [0, 1, 2, 3, 4, 5, 6];
  const NR = shape.vectors * 4;
  const r = code.local(i32);
  const j = code.local(i32);
  const row = code.local(i32);
  const src = code.local(i32);
  const x = code.local(v128);
  const s = code.local(f32);
  const flag = (bit: number) => code.get(flags).i32Const(bit).i32And();

  code.i32Const(0).set(r);
  countedLoop(code, r, mr, 1, () => {
    code.get(c).get(r).get(ldc).i32Mul().i32Add().set(row);
    code.get(tmp).get(r).i32Const(NR * 4).i32Mul().i32Add().set(src);
    code.get(nr).i32Const(NR).i32Eq().if();
    for (let v = 0; v < shape.vectors; v++) {
      code.get(src).v128Load(16 * v).set(x);
      flag(1).if().get(row).v128Load(16 * v).get(x).f32x4Add().set(x).end();
      flag(2).if().get(x).get(bias).v128Load(16 * v).f32x4Add().set(x).end();
      flag(4).if().get(x).f32Const(0).f32x4Splat().f32x4Max().set(x).end();
      code.get(row).get(x).v128Store(16 * v);
    }
    code.else();
    code.i32Const(0).set(j);
    countedLoop(code, j, nr, 1, () => {
      code.get(src).get(j).i32Const(4).i32Mul().i32Add().f32Load().set(s);
      flag(1).if().get(row).get(j).i32Const(4).i32Mul().i32Add().f32Load().get(s).f32Add().set(s).end();
      flag(2).if().get(s).get(bias).get(j).i32Const(4).i32Mul().i32Add().f32Load().f32Add().set(s).end();
      flag(4).if().get(s).f32Const(0).f32Max().set(s).end();
      code.get(row).get(j).i32Const(4).i32Mul().i32Add().get(s).f32Store();
    });
    code.end();
  });
  return { params: [i32, i32, i32, i32, i32, i32, i32], results: [], code };
}

/**
 * packB(src, kStride, jStride, kc, nc, dst): dst[p][k][jj] = B[k, p·NR + jj] (0 past nc),
 * strides in bytes, so B and Bᵀ are both read where they lie.
 */
function packB(shape: GemmShape): FunctionDef {
  const code = new Code(6);
  const [src, kStride, jStride, kc, nc, dst] = [0, 1, 2, 3, 4, 5];
  const NR = shape.vectors * 4;
  const j0 = code.local(i32);
  const nr = code.local(i32);
  const k = code.local(i32);
  const jj = code.local(i32);
  const from = code.local(i32);
  const to = code.local(i32);
  const left = code.local(i32);
  const ncLeft = code.local(i32);
  const NRlocal = code.local(i32);

  code.i32Const(NR).set(NRlocal);
  code.i32Const(0).set(j0);
  countedLoop(code, j0, nc, NR, () => {
    code.get(nc).get(j0).i32Sub().set(ncLeft);
    min(code, ncLeft, NRlocal);
    code.set(nr);
    code.get(src).get(j0).get(jStride).i32Mul().i32Add().set(from);
    code.get(nr).i32Const(NR).i32Eq().get(jStride).i32Const(4).i32Eq().i32And().if();
    {
      // a full panel of contiguous columns: whole vectors
      code.i32Const(0).set(k);
      countedLoop(code, k, kc, 1, () => {
        for (let v = 0; v < shape.vectors; v++) code.get(dst).get(from).v128Load(16 * v).v128Store(16 * v);
        code.get(from).get(kStride).i32Add().set(from);
        code.get(dst).i32Const(NR * 4).i32Add().set(dst);
      });
    }
    code.else();
    {
      // columns one by one, k innermost: for Bᵀ that reads each source row in order
      code.i32Const(0).set(jj);
      countedLoop(code, jj, NRlocal, 1, () => {
        code.get(dst).get(jj).i32Const(4).i32Mul().i32Add().set(to);
        code.get(kc).set(left);
        code.get(jj).get(nr).i32LtS().if();
        code.get(from).get(jj).get(jStride).i32Mul().i32Add().set(k);
        code.block().get(left).i32Eqz().brIf(0).loop();
        code.get(to).get(k).f32Load().f32Store();
        code.get(k).get(kStride).i32Add().set(k);
        code.get(to).i32Const(NR * 4).i32Add().set(to);
        code.get(left).i32Const(1).i32Sub().tee(left).brIf(0);
        code.end().end();
        code.else();
        code.block().get(left).i32Eqz().brIf(0).loop();
        code.get(to).f32Const(0).f32Store();
        code.get(to).i32Const(NR * 4).i32Add().set(to);
        code.get(left).i32Const(1).i32Sub().tee(left).brIf(0);
        code.end().end();
        code.end();
      });
      code.get(dst).get(kc).i32Const(NR * 4).i32Mul().i32Add().set(dst);
    }
    code.end();
  });
  return { params: [i32, i32, i32, i32, i32, i32], results: [], code };
}

/**
 * macro(a, aRow, aK, mc, bp, kc, nc, c, ldc, flags, bias, tmp): every tile of an
 * mc × nc block of C from A (rows aRow bytes apart, k aK bytes apart) and a packed
 * kc × nc block of B; `flags` as in storeTile.
 */
function macroKernel(shape: GemmShape, microIndex: (rows: number) => number, storeIndex: number): FunctionDef {
  const code = new Code(12);
  const [a, aRow, aK, mc, bp, kc, nc, c, ldc, flags, bias, tmp] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const NR = shape.vectors * 4;
  const i = code.local(i32);
  const j = code.local(i32);
  const mr = code.local(i32);
  const nr = code.local(i32);
  const aTile = code.local(i32);
  const cRow = code.local(i32);
  const panel = code.local(i32);
  const left = code.local(i32);
  const MRlocal = code.local(i32);
  const NRlocal = code.local(i32);
  const panelBytes = code.local(i32);
  const cTile = code.local(i32);

  code.i32Const(shape.rows).set(MRlocal).i32Const(NR).set(NRlocal);
  code.get(kc).i32Const(NR * 4).i32Mul().set(panelBytes);
  code.i32Const(0).set(i);
  countedLoop(code, i, mc, shape.rows, () => {
    code.get(mc).get(i).i32Sub().set(left);
    min(code, left, MRlocal);
    code.set(mr);
    code.get(a).get(i).get(aRow).i32Mul().i32Add().set(aTile);
    code.get(c).get(i).get(ldc).i32Mul().i32Add().set(cRow);
    code.get(bp).set(panel);
    code.i32Const(0).set(j);
    countedLoop(code, j, nc, NR, () => {
      code.get(nc).get(j).i32Sub().set(left);
      min(code, left, NRlocal);
      code.set(nr);
      // a full-width tile is stored by the microkernel itself; a narrower one through tmp
      code.get(nr).get(NRlocal).i32Eq().if();
      code.get(cRow).get(j).i32Const(4).i32Mul().i32Add().set(cTile);
      code.else();
      code.i32Const(0).set(cTile);
      code.end();
      for (let rows = 1; rows <= shape.rows; rows++) {
        code.get(mr).i32Const(rows).i32Eq().if();
        code.get(aTile).get(aRow).get(aK).get(panel).get(kc).get(tmp);
        code.get(cTile).get(ldc).get(flags).get(bias).get(j).i32Const(4).i32Mul().i32Add().call(microIndex(rows));
        code.end();
      }
      code.get(cTile).i32Eqz().if();
      code.get(tmp).get(mr).get(nr).get(cRow).get(j).i32Const(4).i32Mul().i32Add().get(ldc).get(flags);
      code.get(bias).get(j).i32Const(4).i32Mul().i32Add().call(storeIndex);
      code.end();
      code.get(panel).get(panelBytes).i32Add().set(panel);
    });
  });
  return { params: Array.from({ length: 12 }, () => i32), results: [], code };
}

/**
 * The module's bytes: for each tile shape `t` (in order), exports `packB${t}` and
 * `macro${t}` (see above). The tile changes how work is cut, never the order of any
 * element's sum, so a caller may pick one per product by its shape.
 */
export function gemmModuleBytes(shapes: readonly GemmShape[]): Uint8Array<ArrayBuffer> {
  const functions: FunctionDef[] = [];
  shapes.forEach((shape, t) => {
    const first = functions.length;
    const micro = Array.from({ length: shape.rows }, (_, r) => microkernel(shape, r + 1));
    const storeIndex = first + micro.length;
    functions.push(
      ...micro,
      storeTile(shape),
      { ...packB(shape), exportName: `packB${t}` },
      { ...macroKernel(shape, (rows) => first + rows - 1, storeIndex), exportName: `macro${t}` },
    );
  });
  return encodeModule(functions);
}
