"""What an operator can tune: where jobs live, how big and slow a request may be, how many run.

One frozen object built by `scriptio serve` (or a test) and handed to `create_app`, so that the
routes, the worker and the limits all read the same numbers.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

DB_ENV = "SCRIPTIO_DB"
DEFAULT_DB = "sqlite:///scriptio-serve.db"
MB = 1024 * 1024


def default_db_url() -> str:
    """`SCRIPTIO_DB` (e.g. postgresql://user@host/scriptio) or a SQLite file in the working folder."""
    return os.environ.get(DB_ENV) or DEFAULT_DB


@dataclass(frozen=True)
class ServeSettings:
    """Limits and sizes of one server.

    max_upload_bytes: the whole request body (all files of a job together); more answers 413.
    read_timeout_s:   how long POST /v1/read may take, waiting for a slot included; then 504.
    read_slots:       reads of POST /v1/read computed at once (the rest wait, within their timeout).
    queue_size:       unfinished jobs held at once; a new job beyond it answers 429.
    max_job_files:    files in one job.
    workers:          threads processing job pages (models are loaded once and shared).
    cors_origins:     origins allowed by CORS; empty: no CORS middleware at all.
    start_paused:     the workers wait until resumed (tests; a drained maintenance start).
    poll_s:           how often an idle worker looks at the database (new jobs also wake it at once).
    """

    db_url: str = DEFAULT_DB
    max_upload_bytes: int = 50 * MB
    read_timeout_s: float = 60.0
    read_slots: int = 2
    queue_size: int = 100
    max_job_files: int = 500
    workers: int = 1
    cors_origins: tuple[str, ...] = ()
    start_paused: bool = False
    poll_s: float = 0.5

    def __post_init__(self) -> None:
        for name in ("max_upload_bytes", "read_slots", "queue_size", "max_job_files", "workers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not self.read_timeout_s > 0 or not self.poll_s > 0:
            raise ValueError("read_timeout_s and poll_s must be positive")
