"""Reading on a Ray cluster: one actor per worker holds the reader (its models loaded once) and
takes units of work as it frees up; results are handed back in input order.

Ray is optional (`pip install 'scriptio[cluster]'`); a remote cluster's nodes need scriptio
installed too (the reader travels by value, so model files need not be on them).
"""
from __future__ import annotations

import logging
import socket
from collections.abc import Iterator, Sequence

from scriptio.errors import ScriptioError

INSTALL_FIX = "pip install 'scriptio[cluster]'"


def import_ray():
    """The ray module, or the one-line error that names the fix."""
    try:
        import ray
    except ImportError:
        raise ScriptioError(f"--ray needs Ray, which is not installed: {INSTALL_FIX}") from None
    return ray


def check_address(address: str, timeout: float = 5.0) -> None:
    """Fail at once, in one line, when nothing listens at a cluster address: Ray itself retries
    for minutes and prints its retries (`auto` and `local` are Ray's to resolve)."""
    if address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ScriptioError(f"--ray {address}: give the head node as host:port (ray start --head prints it), "
                            "ray://host:port for Ray Client, or 'local'")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        raise ScriptioError(f"--ray {address}: nothing answers there ({error.strerror or error}); start the "
                            "cluster (ray start --head) or give its head node's address, or 'local'") from None


class RayReader:
    """The actor: keeps the reader it was given for every call."""

    def __init__(self, reader) -> None:
        if reader.threads:
            import torch

            torch.set_num_threads(reader.threads)
        self.reader = reader

    def call(self, method: str, item):
        return getattr(self.reader, method)(item)


class RayPool:
    """Connects (or, for 'local', starts a cluster on this machine) on first use; `workers`
    actors of one CPU each (None, or more than the cluster has: one per CPU of the cluster)."""

    def __init__(self, reader, address: str, workers: int | None = None) -> None:
        self.ray = import_ray()
        self.reader, self.address, self.workers = reader, address, workers
        self.actors: list = []
        self.pool = None
        self.started = False

    def connect(self, items: int) -> None:
        ray = self.ray
        local = self.address == "local"
        check_address(self.address)
        try:
            if not ray.is_initialized():
                ray.init(address=None if local else self.address, num_cpus=self.workers if local else None,
                         include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
                self.started = True
        except Exception as error:  # an unreachable address fails in many ways (ConnectionError, ...)
            first = (str(error).splitlines() or [type(error).__name__])[0][:200]
            raise ScriptioError(f"--ray {self.address}: cannot connect to the Ray cluster ({first}); give the "
                                "address of its head node (host:6379, ray://host:10001) or 'local'") from None
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        count = min(items, self.workers or cpus, cpus)  # an actor without a CPU would hold its work forever
        actor = ray.remote(num_cpus=1)(RayReader)
        shared = ray.put(self.reader)
        self.actors = [actor.remote(shared) for _ in range(count)]
        from ray.util import ActorPool

        self.pool = ActorPool(self.actors)

    def map(self, method: str, items: Sequence) -> Iterator:
        if not items:
            return iter(())
        if self.pool is None:
            self.connect(len(items))
        return self.pool.map(lambda actor, item: actor.call.remote(method, item), list(items))

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        self.actors, self.pool = [], None
        if self.started:
            self.ray.shutdown()
            self.started = False
