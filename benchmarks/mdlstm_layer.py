"""Speed of the MDLSTM layer on one line image: is the wavefront scan cheap enough for CPU training?

    python benchmarks/mdlstm_layer.py [--height 64] [--width 1000] [--hidden 16] [--threads 2 1]

Prints a Markdown table of forward and forward+backward times (median of 5 runs after a warm-up)
of a 4-direction MDLSTM on a 1 x 1 x H x W float32 input, for each thread count asked.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from typing import Callable

import torch

from scriptio.nets.mdlstm import MDLSTM


def median_seconds(step: Callable[[], None], runs: int = 5) -> float:
    step()  # warm-up: allocator pools grown, kernels chosen
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--height", type=int, default=64)
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--directions", type=int, default=4)
    parser.add_argument("--threads", type=int, nargs="+", default=[2])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    torch.manual_seed(0)
    layer = MDLSTM(1, args.hidden, args.directions)
    x = torch.rand(1, 1, args.height, args.width)

    def forward() -> None:
        with torch.no_grad():
            layer(x)

    def forward_backward() -> None:
        layer.zero_grad(set_to_none=True)
        layer(x).square().mean().backward()

    print(f"MDLSTM on 1x1x{args.height}x{args.width}, hidden {args.hidden}, {args.directions} directions, float32, "
          f"torch {torch.__version__}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}; median of {args.runs} runs after a warm-up\n")
    print("| threads | pass | seconds | ms per diagonal |")
    print("|---:|---|---:|---:|")
    diagonals = args.height + args.width - 1
    for threads in args.threads:
        torch.set_num_threads(threads)
        for name, step in (("forward (no_grad)", forward), ("forward + backward", forward_backward)):
            seconds = median_seconds(step, args.runs)
            print(f"| {threads} | {name} | {seconds:.3f} | {1000 * seconds / diagonals:.3f} |", flush=True)


if __name__ == "__main__":
    main()
