"""PyTorch reference step for `npm run bench`: the same networks as bench/workloads.ts,
on one CPU thread, plain SGD, a fixed random batch of MNIST's shape.

    /usr/bin/python3 bench/torch_reference.py --workload mlp|cnn --reps 7 --warmup 5 --calls 10

Prints one line `BENCH_RESULT <json>` in the StepResult shape of bench/step-result.ts.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

LR = 0.05  # BENCH_LR in bench/workloads.ts


def mlp() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn() -> nn.Module:
    # conv5x5·16 'same' – maxpool2 – conv5x5·32 'same' – maxpool2 – dense 128 – dense 10
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    )


WORKLOADS = {"mlp": (mlp, 256), "cnn": (cnn, 128)}


def summarize(samples: list) -> dict:
    m = statistics.median(samples)
    return {"median": m, "min": min(samples), "max": max(samples), "relativeSpread": (max(samples) - min(samples)) / m, "samples": samples}


def time_per_call(fn, warmup: int, reps: int, calls: int) -> tuple:
    """(wall, cpu) ms per call, each summarized over the repetitions."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(calls):
            fn()
        cpu.append((time.process_time() - c0) * 1000 / calls)
        wall.append((time.perf_counter() - t0) * 1000 / calls)
    return summarize(wall), summarize(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", default="mlp", choices=sorted(WORKLOADS))
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    build, batch = WORKLOADS[args.workload]
    model = build()
    x = torch.rand(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        loss.item()

    def forward() -> None:
        with torch.no_grad():
            F.cross_entropy(model(x), y).item()

    step_ms, step_cpu_ms = time_per_call(step, args.warmup, args.reps, args.calls)
    forward_ms, _ = time_per_call(forward, args.warmup, args.reps, args.calls)
    result = {
        "implementation": "pytorch",
        "workload": args.workload,
        "batchSize": batch,
        "stepMs": step_ms,
        "forwardMs": forward_ms,
        "stepCpuMs": step_cpu_ms,
        "samplesPerSec": batch / (step_ms["median"] / 1000),
        "runtime": f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread, mkldnn {torch.backends.mkldnn.is_available()}",
    }
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
