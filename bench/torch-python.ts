/**
 * Finds a Python with PyTorch for the reference column: BENCH_PYTHON if set, else
 * Debian's /usr/bin/python3 (where `apt-get install python3-torch` puts torch),
 * else python3 on the PATH.
 */
import { spawnSync } from 'node:child_process';

export type TorchPython = { ok: true; python: string; version: string } | { ok: false; why: string };

export function findTorchPython(): TorchPython {
  const candidates = [process.env.BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (probe.status === 0) return { ok: true, python, version: probe.stdout.trim() };
  }
  return {
    ok: false,
    why: `PyTorch not found (tried ${candidates.join(', ')}): install it with \`apt-get install -y python3-torch\` or point BENCH_PYTHON at a python with torch`,
  };
}
