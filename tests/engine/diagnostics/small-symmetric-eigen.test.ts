import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../../main/engine/diagnostics/small-symmetric-eigen';

describe('symmetricEigen', () => {
  it('gives the eigenpairs of a symmetric matrix, largest first, with A v = λ v and orthonormal vectors', () => {
    // a tridiagonal (what Lanczos makes) with known spectrum: the path graph Laplacian, λ_k = 2 − 2 cos(kπ/(n+1))
    const n = 7;
    const a: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (__, j) => (i === j ? 2 : Math.abs(i - j) === 1 ? -1 : 0)));
    const { values, vectors } = symmetricEigen(a);
    const exact = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1))).sort((x, y) => y - x);
    values.forEach((v, i) => expect(v).toBeCloseTo(exact[i]!, 12));
    vectors.forEach((v, i) => {
      const av = a.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
      av.forEach((x, j) => expect(x).toBeCloseTo(values[i]! * v[j]!, 12));
      vectors.forEach((u, k) => expect(u.reduce((s, x, j) => s + x * v[j]!, 0)).toBeCloseTo(i === k ? 1 : 0, 12));
    });
  });

  it('handles 1×1 and refuses a matrix that is not square', () => {
    expect(symmetricEigen([[3]])).toEqual({ values: [3], vectors: [[1]] });
    expect(() => symmetricEigen([[1, 2], [3]])).toThrow(/square/);
  });
});
