"""Jobs, their pages, uploads and results in one database, so a restart loses nothing.

SQLite (one file, WAL mode, so readers never wait for the worker's writes) by default;
any SQLAlchemy URL, e.g. `SCRIPTIO_DB=postgresql://user@host/scriptio`, works the same.
Uploads live in the database with the job, under server-made keys, until the job's last page
is finished. A page moves queued → running → done|failed; the move to running is one conditional
UPDATE, so two workers never take the same page, and a result is written only by the claim that
took the page, so a finished page is never redone or overwritten. Pages left running by a server
that died are queued again when the next one starts.

One server per database: the capacity check (queue_size) and the restart re-queue assume it.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (Column, Float, Integer, LargeBinary, MetaData, String, Table, Text, create_engine, event,
                        func, select, update)
from sqlalchemy.engine import Engine

from scriptio.api.inputs import frame_name
from scriptio.serve.reading import ReadOptions
from scriptio.serve.uploads import PageUpload, Upload

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
FINISHED = (DONE, FAILED)

metadata = MetaData()

jobs = Table(
    "jobs", metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("options", Text, nullable=False),
)

uploads = Table(
    "uploads", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

pages = Table(
    "pages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # also the processing order
    Column("job_id", String(32), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("frame", Integer, nullable=False, default=0),
    Column("image_id", Integer, nullable=False),
    Column("xml_id", Integer),
    Column("status", String(8), nullable=False, index=True),
    Column("claim", String(32)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("output", Text),
    Column("error", Text),
    Column("started_at", Float),
    Column("finished_at", Float),
)


class QueueFull(Exception):
    """The queue holds `capacity` unfinished jobs already."""

    def __init__(self, capacity: int) -> None:
        super().__init__(f"the job queue is full ({capacity} unfinished jobs); try again later")


@dataclass
class PageTask:
    """One claimed page: what the worker reads, and the claim that lets it store the result."""

    page_id: int
    claim: str
    job_id: str
    name: str
    frame: int
    options: ReadOptions
    page: PageUpload


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL, a busy timeout and cross-thread connections."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


class JobStore:
    """The server's persistence: every method is one short transaction."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        metadata.create_all(self.engine)
        self._admit = threading.Lock()  # capacity check and insert as one step in this process

    def close(self) -> None:
        self.engine.dispose()

    # -- submitting ---------------------------------------------------------------------------
    def create_job(self, options: ReadOptions, items: Sequence[tuple[PageUpload, int]], capacity: int) -> str:
        """Store a job, its uploads (each once) and a queued page per (upload, frame count);
        raise QueueFull when `capacity` jobs are unfinished."""
        job_id = uuid.uuid4().hex
        with self._admit, self.engine.begin() as db:
            unfinished = db.execute(select(func.count()).select_from(jobs).where(jobs.c.finished_at.is_(None)))
            if unfinished.scalar_one() >= capacity:
                raise QueueFull(capacity)
            db.execute(jobs.insert().values(id=job_id, created_at=time.time(), options=options.to_json()))
            stored: dict[int, int] = {}

            def store(upload: Upload) -> int:
                if id(upload) not in stored:
                    row = db.execute(uploads.insert().values(job_id=job_id, name=upload.name, kind=upload.kind,
                                                             data=upload.data))
                    stored[id(upload)] = row.inserted_primary_key[0]
                return stored[id(upload)]

            position = 0
            for page, frames in items:
                image_id = store(page.image)
                xml_id = store(page.xml) if page.xml is not None else None
                for frame in range(frames):
                    db.execute(pages.insert().values(job_id=job_id, position=position,
                                                     name=frame_name(page.name, frame), frame=frame,
                                                     image_id=image_id, xml_id=xml_id, status=QUEUED, attempts=0))
                    position += 1
        return job_id

    def unfinished_jobs(self) -> int:
        with self.engine.connect() as db:
            return db.execute(select(func.count()).select_from(jobs).where(jobs.c.finished_at.is_(None))).scalar_one()

    def queued_pages(self) -> int:
        with self.engine.connect() as db:
            return db.execute(select(func.count()).select_from(pages).where(pages.c.status == QUEUED)).scalar_one()

    # -- processing ---------------------------------------------------------------------------
    def requeue_running(self) -> int:
        """Queue again the pages a stopped server left running (their results were never stored)."""
        with self.engine.begin() as db:
            return db.execute(update(pages).where(pages.c.status == RUNNING)
                              .values(status=QUEUED, claim=None, started_at=None)).rowcount

    def claim_next(self) -> PageTask | None:
        """Take the oldest queued page (None when there is none)."""
        for _ in range(20):  # another worker may take the page between the look and the claim
            with self.engine.begin() as db:
                page_id = db.execute(select(pages.c.id).where(pages.c.status == QUEUED)
                                     .order_by(pages.c.id).limit(1)).scalar_one_or_none()
                if page_id is None:
                    return None
                claim = uuid.uuid4().hex
                taken = db.execute(update(pages).where(pages.c.id == page_id, pages.c.status == QUEUED)
                                   .values(status=RUNNING, claim=claim, started_at=time.time(),
                                           attempts=pages.c.attempts + 1)).rowcount
                if taken == 1:
                    return self._task(db, page_id, claim)
        return None

    def _task(self, db, page_id: int, claim: str) -> PageTask:
        row = db.execute(select(pages).where(pages.c.id == page_id)).one()
        options = db.execute(select(jobs.c.options).where(jobs.c.id == row.job_id)).scalar_one()
        ids = [row.image_id] + ([row.xml_id] if row.xml_id is not None else [])
        files = {r.id: Upload(r.name, r.data, r.kind) for r in db.execute(select(uploads).where(uploads.c.id.in_(ids)))}
        page = PageUpload(row.name, files[row.image_id], files.get(row.xml_id) if row.xml_id is not None else None)
        return PageTask(page_id, claim, row.job_id, row.name, row.frame, ReadOptions.from_json(options), page)

    def finish(self, task: PageTask, output: str | None = None, error: str | None = None) -> bool:
        """Store a page's result (or error) if `task` still holds the page; close the job (and
        drop its uploads) when this was its last unfinished page. False: the claim was lost."""
        with self.engine.begin() as db:
            done = db.execute(update(pages).where(pages.c.id == task.page_id, pages.c.status == RUNNING,
                                                  pages.c.claim == task.claim)
                              .values(status=DONE if error is None else FAILED, output=output, error=error,
                                      finished_at=time.time())).rowcount == 1
            if done:
                left = db.execute(select(func.count()).select_from(pages).where(
                    pages.c.job_id == task.job_id, pages.c.status.in_((QUEUED, RUNNING)))).scalar_one()
                if left == 0:
                    db.execute(update(jobs).where(jobs.c.id == task.job_id).values(finished_at=time.time()))
                    db.execute(uploads.delete().where(uploads.c.job_id == task.job_id))
            return done

    # -- reporting ------------------------------------------------------------------------------
    def job(self, job_id: str) -> dict[str, Any] | None:
        """A job and its pages in order (None for an unknown id)."""
        with self.engine.connect() as db:
            job = db.execute(select(jobs).where(jobs.c.id == job_id)).one_or_none()
            if job is None:
                return None
            rows = db.execute(select(pages.c.position, pages.c.name, pages.c.status, pages.c.output, pages.c.error,
                                     pages.c.attempts, pages.c.started_at, pages.c.finished_at)
                              .where(pages.c.job_id == job_id).order_by(pages.c.position)).all()
        return {"id": job.id, "created_at": job.created_at, "finished_at": job.finished_at,
                "options": ReadOptions.from_json(job.options), "pages": [row._asdict() for row in rows]}
