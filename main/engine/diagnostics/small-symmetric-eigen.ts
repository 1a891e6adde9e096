/**
 * Eigenvalues and eigenvectors of a small dense symmetric matrix (a Lanczos tridiagonal,
 * k ≤ a few hundred) by cyclic Jacobi rotations, in float64: simple, unconditionally
 * stable, and fast enough at the sizes sharpness.ts needs (k ≤ 500, usually < 20).
 */

export interface SymmetricEigen {
  /** eigenvalues, largest first */
  values: number[];
  /** vectors[i] is the unit eigenvector of values[i] */
  vectors: number[][];
}

export function symmetricEigen(matrix: readonly (readonly number[])[]): SymmetricEigen {
  const n = matrix.length;
  const a = matrix.map((row) => {
    if (row.length !== n) throw new RangeError(`symmetricEigen: the matrix must be square, got a row of ${row.length} in ${n}`);
    return [...row];
  });
  // v accumulates the rotations: its columns are the eigenvectors
  const v: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (__, j) => (i === j ? 1 : 0)));
  let scale = 0;
  for (let p = 0; p < n; p++) for (let r = 0; r < n; r++) scale += a[p]![r]! ** 2;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let r = p + 1; r < n; r++) off += a[p]![r]! ** 2;
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let r = p + 1; r < n; r++) {
        const apr = a[p]![r]!;
        if (apr === 0) continue;
        const theta = (a[r]![r]! - a[p]![p]!) / (2 * apr);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!;
          const akr = a[k]![r]!;
          a[k]![p] = c * akp - s * akr;
          a[k]![r] = s * akp + c * akr;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p]![k]!;
          const ark = a[r]![k]!;
          a[p]![k] = c * apk - s * ark;
          a[r]![k] = s * apk + c * ark;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k]![p]!;
          const vkr = v[k]![r]!;
          v[k]![p] = c * vkp - s * vkr;
          v[k]![r] = s * vkp + c * vkr;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y]![y]! - a[x]![x]!);
  return { values: order.map((i) => a[i]![i]!), vectors: order.map((i) => v.map((row) => row[i]!)) };
}
