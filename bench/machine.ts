/** What the numbers were measured on: CPU, cores, load, Node, tfjs and torch versions. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { describeTorch, type TorchPython } from './torch-python';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  tfjs: string;
  tfjsBackendWasm: string;
  torch: string;
  /** 1-, 5- and 15-minute load averages */
  loadAtStart: number[];
  /** the commit measured, with '+changes' when the engine or its kernels differ from it */
  source: string;
}

const require = createRequire(import.meta.url);
const versionOf = (pkg: string): string => {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
};

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1]!.trim();
  } catch {
    // not Linux: fall back to what Node reports
  }
  return cpus()[0]?.model ?? 'unknown';
}

function sourceVersion(repoRoot: string): string {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const dirty = git('status', '--porcelain', '--', 'main/engine', 'common') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? '+changes in main/engine or common' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export function describeMachine(torch: TorchPython, repoRoot: string): Machine {
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    tfjs: versionOf('@tensorflow/tfjs'),
    tfjsBackendWasm: versionOf('@tensorflow/tfjs-backend-wasm'),
    torch: describeTorch(torch),
    loadAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    source: sourceVersion(repoRoot),
  };
}

export function machineLine(m: Machine): string {
  return `${m.cores} cores, ${m.cpuModel}, ${m.memoryGiB} GiB; Node ${m.node}, tfjs ${m.tfjs}, tfjs-backend-wasm ${m.tfjsBackendWasm}, PyTorch ${m.torch}; load average at start ${m.loadAtStart.join(' / ')}; source ${m.source}`;
}
