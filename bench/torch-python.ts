/**
 * Finds a Python with PyTorch for the reference column and asks it which BLAS it
 * loaded. Candidates: BENCH_PYTHON if set, then Debian's /usr/bin/python3 (where
 * `apt-get install python3-torch` puts torch; a pyenv or venv python3 earlier on
 * the PATH usually has no torch), then python3 on the PATH.
 *
 * A ratio against PyTorch on the reference BLAS says nothing about Batchscope (its
 * dense layers run an unblocked triple loop, about 15× slower than OpenBLAS on the
 * MLP), so such a PyTorch is found but refused, with how to install OpenBLAS.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './child-process';

export type BlasKind = 'OpenBLAS' | 'MKL' | 'BLIS' | 'ATLAS' | 'reference BLAS' | 'unidentified';

export interface TorchBlas {
  kind: BlasKind;
  /** the BLAS/LAPACK shared objects the probing process had mapped */
  libraries: string[];
  /** torch.__config__'s BLAS_INFO (Debian's build says 'generic': it links whatever libblas.so.3 points to) */
  buildBlas: string | null;
  /** OpenBLAS's own thread count in the probe, when OpenBLAS is loaded */
  openblasThreads: number | null;
}

export type TorchPython =
  | { ok: true; python: string; version: string; blas: TorchBlas }
  | { ok: false; why: string; /** set when a torch was found but refused */ found?: { python: string; version: string; blas: TorchBlas } };

/** The environment every PyTorch child runs with: one pool size for torch, OpenMP, OpenBLAS and MKL. */
export function pinnedThreadEnv(threads: number): NodeJS.ProcessEnv {
  const n = String(threads);
  return { OPENBLAS_NUM_THREADS: n, OMP_NUM_THREADS: n, MKL_NUM_THREADS: n };
}

/** Which BLAS a set of mapped libraries (and torch's build note) amounts to. */
export function classifyBlas(libraries: readonly string[], buildBlas: string | null): BlasKind {
  const names = libraries.map((l) => l.toLowerCase());
  if (names.some((l) => l.includes('openblas'))) return 'OpenBLAS';
  if (names.some((l) => /mkl/.test(l))) return 'MKL';
  if (names.some((l) => l.includes('blis'))) return 'BLIS';
  if (names.some((l) => l.includes('atlas'))) return 'ATLAS';
  // Debian's reference implementation (libblas3) lives in .../blas/libblas.so.3
  if (names.some((l) => /libblas\.so/.test(l))) return 'reference BLAS';
  if (buildBlas && /mkl/i.test(buildBlas)) return 'MKL'; // pip wheels link MKL statically
  if (buildBlas && /open/i.test(buildBlas)) return 'OpenBLAS';
  return 'unidentified';
}

export const INSTALL_OPENBLAS =
  'install OpenBLAS (Debian then points libblas.so.3 at it): `sudo apt-get install -y libopenblas0-pthread`, or point BENCH_PYTHON at a python whose torch uses MKL or OpenBLAS';

interface Probe {
  version: string;
  blas: { libraries: string[]; buildBlas: string | null; openblasThreads: number | null };
}

export function findTorchPython(threads = 1): TorchPython {
  const candidates = [...new Set([process.env.BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c))];
  const tried: string[] = [];
  for (const python of candidates) {
    const probe = spawnSync(python, [join(repoRoot, 'bench/torch_reference.py'), '--probe', '--threads', String(threads)], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, ...pinnedThreadEnv(threads) },
    });
    const line = probe.stdout?.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
    if (probe.status !== 0 || !line) {
      tried.push(`${python}: ${probe.error ? probe.error.message : (probe.stderr ?? '').trim().split('\n').at(-1) || `exit ${probe.status}`}`);
      continue;
    }
    const found = JSON.parse(line.slice('BENCH_RESULT '.length)) as Probe;
    const blas: TorchBlas = { ...found.blas, kind: classifyBlas(found.blas.libraries, found.blas.buildBlas) };
    const torch = { python, version: found.version, blas };
    if (blas.kind === 'reference BLAS') {
      return {
        ok: false,
        found: torch,
        why: `PyTorch ${found.version} (${python}) runs on the reference BLAS (${blas.libraries.join(', ')}), so no ratio is reported against it; ${INSTALL_OPENBLAS}`,
      };
    }
    return { ok: true, ...torch };
  }
  return {
    ok: false,
    why: `PyTorch not found (${tried.join('; ')}): install it with \`apt-get install -y python3-torch libopenblas0-pthread\` or point BENCH_PYTHON at a python with torch`,
  };
}

/** One line on the PyTorch the bench compares with. */
export function describeTorch(torch: TorchPython): string {
  const t = torch.ok ? torch : torch.found;
  if (!t) return 'not installed';
  const libs = t.blas.libraries.map((l) => l.split('/').pop()).join(', ') || 'no BLAS library mapped';
  return `${t.version} (${t.python}) on ${t.blas.kind} [${libs}; BLAS_INFO=${t.blas.buildBlas}]${torch.ok ? '' : ', refused'}`;
}
