"""How `scriptio serve` holds up under a burst: N uploads sent at once to a server on loopback.

    python benchmarks/serve_load.py [--model tiny|bundled|PATH] [--requests 100] [--jobs 20]

Starts `scriptio serve` in a subprocess (its own SQLite file in a temporary folder), sends
`--requests` uploads concurrently (`--jobs` of them POST /v1/jobs with `--pages` line images
each, the rest POST /v1/read at line level), waits for every job to finish (at most
`--deadline` seconds in all), stops the server and prints a Markdown table: latency p50/p95 per
endpoint, how many answers had which status, and whether every job finished. 'tiny' is an
untrained CRNN as small as the tests' (it times the server, not the network); 'bundled' is the
default model.
"""
from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

try:  # the client Starlette's TestClient prefers; the same API as httpx
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx

WORDS = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "to", "tea", "ten", "net", "eat", "ate"]


def tiny_model(folder: Path) -> Path:
    """An untrained CRNN with the tests' tiny configuration."""
    import torch

    from scriptio.nets.crnn import CRNNConfig
    from scriptio.train.lines import new_recognizer

    torch.manual_seed(0)
    config = CRNNConfig(height=32, channels=(8, 16, 16, 16), pools=((2, 2), (2, 2), (2, 1), (2, 1)), hidden=16,
                        layers=1)
    path = folder / "tiny.safetensors"
    new_recognizer(["".join(WORDS) + " "], config).save(path, {"val_cer": {}})
    return path


def line_images(count: int, seed: int = 0) -> list[bytes]:
    """`count` synthetic line PNGs of 2–5 words (Pillow's font, no distortion)."""
    from scriptio.data.synth import SynthParams, default_font, render_line

    rng = np.random.default_rng(seed)
    font = default_font(28)
    images = []
    for _ in range(count):
        text = " ".join(rng.choice(WORDS, size=int(rng.integers(2, 6))))
        images.append(cv2.imencode(".png", render_line(text, font, rng, height=48, params=SynthParams.none()))[1]
                      .tobytes())
    return images


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(args: argparse.Namespace, folder: Path, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "scriptio.cli", "serve", "--port", str(port), "--db",
               f"sqlite:///{folder / 'jobs.db'}", "--segmenter", "classic", "--workers", str(args.workers),
               "--read-slots", str(args.read_slots), "--read-timeout", str(args.read_timeout),
               "--queue-size", str(args.queue_size), "--threads", str(args.threads)]
    if args.model != "bundled":
        path = tiny_model(folder) if args.model == "tiny" else Path(args.model)
        command += ["--model", f"bench={path}", "--default-model", "bench"]
    log = open(folder / "server.log", "w")
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, OMP_NUM_THREADS=str(args.threads)))


def wait_until_up(client: httpx.Client, server: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit code {server.returncode})")
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer /healthz within {seconds:.0f} s")


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(values, share)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="tiny", help="tiny, bundled, or a model file")
    parser.add_argument("--requests", type=int, default=100, help="uploads sent at once (at most 500)")
    parser.add_argument("--jobs", type=int, default=20, help="how many of them are POST /v1/jobs")
    parser.add_argument("--pages", type=int, default=3, help="line images per job")
    parser.add_argument("--workers", type=int, default=1, help="server job threads")
    parser.add_argument("--read-slots", type=int, default=2, help="server POST /v1/read slots")
    parser.add_argument("--read-timeout", type=float, default=60.0, help="server POST /v1/read limit, seconds")
    parser.add_argument("--queue-size", type=int, default=100, help="server job queue")
    parser.add_argument("--threads", type=int, default=1, help="server CPU threads for the network")
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds for everything after start-up")
    args = parser.parse_args()
    requests = min(max(args.requests, 1), 500)
    jobs = min(args.jobs, requests)
    images = line_images(max(requests - jobs, 0) + jobs * args.pages)

    with tempfile.TemporaryDirectory(prefix="serve-load-") as tmp:
        folder, port = Path(tmp), free_port()
        server = start_server(args, folder, port)
        limits = httpx.Limits(max_connections=requests, max_keepalive_connections=requests)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=args.deadline, limits=limits) as client:
                wait_until_up(client, server, 120)
                results = burst(client, images, requests, jobs, args.pages)
                drained, finished = wait_for_jobs(client, [r["job"] for r in results if r.get("job")], args.deadline)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
    report(args, results, drained, finished, requests, jobs)


def burst(client: httpx.Client, images: list[bytes], requests: int, jobs: int, pages: int) -> list[dict]:
    """Every upload released at the same moment from its own thread."""
    start = threading.Barrier(requests)
    plans = []
    cursor = 0
    for index in range(requests):
        if index % max(requests // max(jobs, 1), 1) == 0 and sum(p[0] == "jobs" for p in plans) < jobs:
            plans.append(("jobs", images[cursor:cursor + pages]))
            cursor += pages
        else:
            plans.append(("read", images[cursor:cursor + 1]))
            cursor += 1

    def send(plan: tuple[str, list[bytes]]) -> dict:
        kind, files = plan
        start.wait()
        began = time.perf_counter()
        try:
            if kind == "jobs":
                uploads = [("files", (f"line{i}.png", data, "image/png")) for i, data in enumerate(files)]
                response = client.post("/v1/jobs", data={"level": "line", "format": "txt"}, files=uploads)
            else:
                response = client.post("/v1/read", data={"level": "line", "format": "json"},
                                       files={"file": ("line.png", files[0], "image/png")})
            status = response.status_code
            job = response.json().get("id") if kind == "jobs" and status == 202 else None
        except httpx.HTTPError as error:
            status, job = type(error).__name__, None
        return {"kind": kind, "status": status, "seconds": time.perf_counter() - began, "job": job}

    with ThreadPoolExecutor(max_workers=requests) as pool:
        return list(pool.map(send, plans))


def wait_for_jobs(client: httpx.Client, job_ids: list[str], deadline_s: float) -> tuple[float, int]:
    """Seconds until every accepted job was done (or the deadline), and how many were."""
    began, finished = time.perf_counter(), set()
    while len(finished) < len(job_ids) and time.perf_counter() - began < deadline_s:
        for job_id in job_ids:
            if job_id not in finished and client.get(f"/v1/jobs/{job_id}").json().get("status") == "done":
                finished.add(job_id)
        time.sleep(0.2)
    return time.perf_counter() - began, len(finished)


def report(args: argparse.Namespace, results: list[dict], drained: float, finished: int, requests: int,
           jobs: int) -> None:
    cpu = platform.processor() or platform.machine()
    print(f"Machine: {platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    print(f"Command: python benchmarks/serve_load.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"Server: --model {args.model}, --workers {args.workers}, --read-slots {args.read_slots}, "
          f"--threads {args.threads}, classic segmenter, SQLite; {requests} uploads at once, {jobs} of them jobs of "
          f"{args.pages} line images\n")
    print("| endpoint | requests | p50 ms | p95 ms | max ms | answers by status |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for kind, label in (("read", "POST /v1/read (line)"), ("jobs", "POST /v1/jobs")):
        rows = [r for r in results if r["kind"] == kind]
        if not rows:
            continue
        times = [1000 * r["seconds"] for r in rows]
        counts = sorted(Counter(str(r["status"]) for r in rows).items())
        statuses = ", ".join(f"{status}: {count}" for status, count in counts)
        print(f"| {label} | {len(rows)} | {percentile(times, 50):.0f} | {percentile(times, 95):.0f} | "
              f"{max(times):.0f} | {statuses} |")
    accepted = sum(1 for r in results if r.get("job"))
    print(f"\nJobs finished: {finished}/{accepted} accepted ({'all' if finished == accepted else 'NOT all'}), "
          f"{accepted * args.pages} pages, done {drained:.1f} s after the burst.")


if __name__ == "__main__":
    main()
