"""PyTorch reference step for `npm run bench`: the same networks as bench/workloads.ts,
on a pinned number of CPU threads, plain SGD, a fixed random batch of MNIST's shape.

    /usr/bin/python3 bench/torch_reference.py --workload mlp|cnn [--batch 256] [--threads 1] [--reps 7 --warmup 5 --warmup-ms 0 --calls 10]
    /usr/bin/python3 bench/torch_reference.py --probe [--threads 1]

Prints one line `BENCH_RESULT <json>`: in the StepResult shape of bench/step-result.ts, or
with --probe the torch version and the BLAS this process loaded (bench/torch-python.ts).

Threads are pinned twice, because either alone leaks: `torch.set_num_threads` sets
PyTorch's intra-op pool, while OpenBLAS (and MKL) start their own pool at load time from
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS. The variables are set here,
before torch is imported, as well as by the bench that starts this process.
"""
import argparse
import ctypes
import json
import os
import re
import statistics
import time

LR = 0.05  # BENCH_LR in bench/workloads.ts
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", default="mlp", choices=["mlp", "cnn"])
    parser.add_argument("--batch", type=int, default=0, help="batch size; 0 keeps the workload's")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--warmup-ms", type=int, default=0, help="and untimed calls until this many ms have passed")
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--probe", action="store_true", help="report the torch version and the loaded BLAS, then exit")
    return parser.parse_args()


ARGS = parse_args()
for variable in THREAD_VARIABLES:
    os.environ[variable] = str(ARGS.threads)

import torch  # noqa: E402  (after the thread variables, which OpenBLAS reads when it loads)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def loaded_blas() -> dict:
    """The BLAS/LAPACK shared objects mapped into this process, after a product has run
    (so a lazily loaded BLAS is in), PyTorch's own build note, and OpenBLAS's thread count."""
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))
    libraries = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            if re.search(r"(blas|lapack|mkl|blis|atlas)[^/]*\.so", os.path.basename(path)) and path not in libraries:
                libraries.append(path)
    build = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    openblas_threads = None
    for path in libraries:
        try:
            openblas_threads = ctypes.CDLL(path).openblas_get_num_threads()
            break
        except (OSError, AttributeError):
            continue
    return {"libraries": libraries, "buildBlas": build.group(1) if build else None, "openblasThreads": openblas_threads}


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


def time_per_call(fn, warmup: int, reps: int, calls: int, warmup_ms: int = 0) -> tuple:
    """(wall, cpu) ms per call, each summarized over the repetitions."""
    warm_start = time.perf_counter()
    done = 0
    while done < warmup or (time.perf_counter() - warm_start) * 1000 < warmup_ms:
        fn()
        done += 1
    wall, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(calls):
            fn()
        cpu.append((time.process_time() - c0) * 1000 / calls)
        wall.append((time.perf_counter() - t0) * 1000 / calls)
    return summarize(wall), summarize(cpu)


def main() -> None:
    torch.set_num_threads(ARGS.threads)
    blas = loaded_blas()
    if ARGS.probe:
        print("BENCH_RESULT " + json.dumps({"version": torch.__version__, "threads": torch.get_num_threads(), "blas": blas}), flush=True)
        return
    if blas["openblasThreads"] is not None and blas["openblasThreads"] != ARGS.threads:
        raise SystemExit(f"OpenBLAS runs {blas['openblasThreads']} threads, not the {ARGS.threads} asked for: the pin did not take")

    torch.manual_seed(0)
    build, default_batch = WORKLOADS[ARGS.workload]
    batch = ARGS.batch or default_batch
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

    step_ms, step_cpu_ms = time_per_call(step, ARGS.warmup, ARGS.reps, ARGS.calls, ARGS.warmup_ms)
    forward_ms, _ = time_per_call(forward, ARGS.warmup, ARGS.reps, ARGS.calls, ARGS.warmup_ms)
    libraries = ", ".join(os.path.basename(p) for p in blas["libraries"]) or f"no BLAS library mapped (built with BLAS_INFO={blas['buildBlas']})"
    blas_threads = "" if blas["openblasThreads"] is None else f", OpenBLAS {blas['openblasThreads']} thread(s)"
    result = {
        "implementation": "pytorch",
        "workload": ARGS.workload,
        "batchSize": batch,
        "threads": torch.get_num_threads(),
        "stepMs": step_ms,
        "forwardMs": forward_ms,
        "stepCpuMs": step_cpu_ms,
        "samplesPerSec": batch / (step_ms["median"] / 1000),
        "runtime": f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s){blas_threads}, BLAS {libraries}, mkldnn {torch.backends.mkldnn.is_available()}",
    }
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
