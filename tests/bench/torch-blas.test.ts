import { describe, expect, it } from 'vitest';
import { classifyBlas, pinnedThreadEnv } from '../../bench/torch-python';

describe('classifyBlas', () => {
  it('names OpenBLAS when Debian points libblas.so.3 at it', () => {
    const maps = [
      '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so',
      '/usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3',
      '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3',
    ];
    expect(classifyBlas(maps, 'generic')).toBe('OpenBLAS');
  });

  it('calls a bare libblas.so.3 the reference BLAS (libblas3), whatever torch was built with', () => {
    expect(classifyBlas(['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3', '/usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3'], 'generic')).toBe('reference BLAS');
  });

  it('recognizes MKL linked statically from the build note alone', () => {
    expect(classifyBlas([], 'mkl')).toBe('MKL');
    expect(classifyBlas(['/opt/venv/lib/libmkl_rt.so.2'], null)).toBe('MKL');
  });

  it('says so when nothing identifies the BLAS', () => {
    expect(classifyBlas([], 'generic')).toBe('unidentified');
  });
});

describe('pinnedThreadEnv', () => {
  it('pins OpenBLAS, OpenMP and MKL pools to the same count', () => {
    expect(pinnedThreadEnv(2)).toEqual({ OPENBLAS_NUM_THREADS: '2', OMP_NUM_THREADS: '2', MKL_NUM_THREADS: '2' });
  });
});
