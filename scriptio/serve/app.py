"""The HTTP routes: read one page now, queue many as a job, follow a job, list the models.

Routes only check, store and answer; reading goes through `serve.reading` (the facade) on a
bounded pool for POST /v1/read and on the worker threads for jobs.
"""
from __future__ import annotations

import json
from contextlib import asynccontextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from fastapi import Body, FastAPI, File, Form, Path, Query, UploadFile
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from scriptio import __version__
from scriptio.errors import ScriptioError
from scriptio.export import FORMATS
from scriptio.serve.catalog import ModelCatalog
from scriptio.serve.edited import EditedPage, content_disposition, download_name, to_page
from scriptio.serve.errors import ApiError, install_error_handlers
from scriptio.serve.limits import BodyLimit, ReadSlots
from scriptio.serve.reading import MEDIA_TYPES, ReadOptions, frames_of, output_value, read_upload, render
from scriptio.serve.schemas import (ErrorBody, Health, JobAccepted, JobReport, Level, ModelsAnswer, OutputFormat,
                                    ReadAnswer)
from scriptio.serve.settings import ServeSettings
from scriptio.serve.store import FINISHED, QUEUED, JobStore, QueueFull
from scriptio.serve.uploads import PageUpload, Upload, classify, page_with_image, pages_of
from scriptio.serve.webpage import install_web_page
from scriptio.serve.worker import Worker, page_processor

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in (
        (400, "a malformed multipart body"),
        (413, "the request body is over the upload limit"),
        (422, "an unusable file or option (the message says which and why)"),
    )}


def _iso(seconds: float | None) -> str | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc).isoformat()


def _options(level: Level, output_format: OutputFormat, model: str | None, lm: str | None) -> ReadOptions:
    return ReadOptions(level=level.value, format=output_format.value, model=model or None, lm=lm or None)


async def _upload(file: UploadFile) -> tuple[str | None, bytes]:
    return file.filename, await file.read()


def create_app(settings: ServeSettings | None = None, catalog: ModelCatalog | None = None,
               preload: bool = False) -> FastAPI:
    """The application: its store, catalog, read pool and job workers live as long as it runs
    (started and stopped by the ASGI lifespan; TestClient and uvicorn both drive it)."""
    settings = settings or ServeSettings()
    catalog = catalog or ModelCatalog()
    store = JobStore(settings.db_url)
    worker = Worker(store, page_processor(catalog), settings.workers, settings.poll_s, settings.start_paused)
    slots = ReadSlots(settings.read_slots)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        requeued = store.requeue_running()
        app.state.requeued_on_start = requeued
        if preload:
            await run_in_threadpool(catalog.preload)
        worker.start()
        try:
            yield
        finally:
            await run_in_threadpool(worker.stop)
            slots.close()
            store.close()

    app = FastAPI(title="scriptio", version=__version__, lifespan=lifespan,
                  description="Handwritten text recognition over HTTP: read a page now, or queue many as a job.")
    app.state.settings, app.state.catalog, app.state.store, app.state.worker = settings, catalog, store, worker
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)
    if settings.cors_origins:  # off unless the operator names the origins
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["*"])

    @app.post("/v1/read", response_model=ReadAnswer, tags=["read"],
              responses={**ERRORS, 200: {"content": {media.split(";")[0]: {} for media in MEDIA_TYPES.values()},
                                         "description": "JSON pages, or the document in the format asked for"},
                         504: {"model": ErrorBody, "description": "reading took longer than the time limit"}})
    async def read(file: UploadFile = File(..., description="a page or line image, or a PAGE/ALTO file"),
                   image: UploadFile | None = File(None, description="the page image of a PAGE/ALTO `file`"),
                   level: Level = Form(Level.page),
                   output_format: OutputFormat = Form(OutputFormat.json, alias="format"),
                   model: str | None = Form(None, description="a recognizer name from GET /v1/models"),
                   lm: str | None = Form(None, description="a language model name from GET /v1/models")) -> Any:
        """Read one upload now and answer with its pages (JSON) or its document (other formats)."""
        options = _options(level, output_format, model, lm)
        catalog.check(options.model, options.lm)
        main = await _upload(file)
        extra = await _upload(image) if image is not None else None

        def work() -> Any:
            upload = classify(*main)
            page = _single_page(upload, classify(*extra) if extra else None)
            frames = frames_of(page)
            if frames > 1 and options.format != "json":
                raise ScriptioError(f"{page.name}: holds {frames} pages; ask for format json, or queue it as a "
                                    "job (POST /v1/jobs) to get a document per page")
            return [read_upload(page, options, catalog, frame) for frame in range(frames)]

        pages = await slots.run(work, settings.read_timeout_s)
        if options.format == "json":
            return JSONResponse({"pages": [json.loads(render(page, "json")) for page in pages]})
        return Response(render(pages[0], options.format), media_type=MEDIA_TYPES[options.format])

    @app.post("/v1/jobs", response_model=JobAccepted, status_code=202, tags=["jobs"],
              responses={**ERRORS, 429: {"model": ErrorBody, "description": "the job queue is full"}})
    async def create_job(files: list[UploadFile] = File(..., description="page images, and PAGE/ALTO files with "
                                                                       "the images they name"),
                         level: Level = Form(Level.page),
                         output_format: OutputFormat = Form(OutputFormat.json, alias="format"),
                         model: str | None = Form(None), lm: str | None = Form(None)) -> Any:
        """Queue many pages; follow them with GET /v1/jobs/{id}."""
        options = _options(level, output_format, model, lm)
        catalog.check(options.model, options.lm)
        if len(files) > settings.max_job_files:
            raise ApiError(413, f"{len(files)} files in one job; this server takes at most {settings.max_job_files}")
        if await run_in_threadpool(store.unfinished_jobs) >= settings.queue_size:  # before reading the files
            raise ApiError(429, str(QueueFull(settings.queue_size)), {"Retry-After": "30"})
        raw = [await _upload(file) for file in files]

        def admit() -> tuple[str, int]:
            pages = pages_of([classify(name, data) for name, data in raw])
            items = [(page, frames_of(page)) for page in pages]
            return store.create_job(options, items, settings.queue_size), sum(frames for _, frames in items)

        try:
            job_id, count = await run_in_threadpool(admit)
        except QueueFull as full:
            raise ApiError(429, str(full), {"Retry-After": "30"}) from None
        worker.wake()
        return JobAccepted(id=job_id, status="queued", pages=count, url=f"/v1/jobs/{job_id}")

    @app.get("/v1/jobs/{job_id}", response_model=JobReport, tags=["jobs"],
             responses={404: {"model": ErrorBody, "description": "no job has this id"}})
    async def job_report(job_id: str = Path(..., max_length=64)) -> Any:
        """A job's progress, and each finished page's output in the job's format."""
        job = await run_in_threadpool(store.job, job_id)
        if job is None:
            raise ApiError(404, f"no job {job_id!r} on this server")
        options: ReadOptions = job["options"]
        statuses = [page["status"] for page in job["pages"]]
        status = ("done" if all(s in FINISHED for s in statuses)
                  else "queued" if all(s == QUEUED for s in statuses) else "running")
        pages = [dict(position=p["position"], name=p["name"], status=p["status"], attempts=p["attempts"],
                      output=output_value(p["output"], options.format) if p["output"] is not None else None,
                      error=p["error"]) for p in job["pages"]]
        return JobReport(id=job["id"], status=status, created_at=_iso(job["created_at"]),
                         finished_at=_iso(job["finished_at"]), options=asdict(options),
                         pages_total=len(pages), pages_done=statuses.count("done"),
                         pages_failed=statuses.count("failed"), pages=pages)

    @app.post("/v1/export", tags=["export"],
              responses={200: {"content": {media.split(";")[0]: {} for media in MEDIA_TYPES.values()},
                               "description": "the page as a document in the format asked for"},
                         413: ERRORS[413], 422: ERRORS[422]})
    async def export(page: EditedPage = Body(..., description="one page as POST /v1/read answers it (an item of "
                                                               "`pages`), with its line texts corrected"),
                     output_format: OutputFormat = Query(OutputFormat.page, alias="format")) -> Response:
        """Write a page, its texts corrected by a person, as TXT, PAGE XML, ALTO, hOCR or JSON
        (what the web page's downloads call). Nothing is read or stored."""
        fmt = output_format.value
        document = await run_in_threadpool(render, to_page(page), fmt)
        filename = download_name(page, FORMATS[fmt].extension)
        return Response(document, media_type=MEDIA_TYPES[fmt],
                        headers={"Content-Disposition": content_disposition(filename)})

    @app.get("/v1/models", response_model=ModelsAnswer, tags=["models"])
    async def models() -> Any:
        """The recognizers, segmenter and language models a request may choose, with what their
        files say about them (kind, architecture, measured error rates)."""
        return await run_in_threadpool(catalog.summary)

    @app.get("/healthz", response_model=Health, tags=["health"],
             responses={503: {"model": ErrorBody, "description": "the database cannot be reached"}})
    async def healthz() -> Any:
        """Alive, with the queue's length: for load balancers and monitoring."""
        try:
            unfinished, queued = await run_in_threadpool(lambda: (store.unfinished_jobs(), store.queued_pages()))
        except Exception as error:  # noqa: BLE001 - any database failure means "not healthy"
            raise ApiError(503, f"the job database cannot be reached ({type(error).__name__})") from None
        return Health(status="ok", unfinished_jobs=unfinished, queued_pages=queued, workers=settings.workers,
                      paused=worker.paused)

    install_web_page(app)
    return app


def _single_page(upload: Upload, image: Upload | None) -> PageUpload:
    """POST /v1/read's files as one page: an image alone, or a PAGE/ALTO file and its image."""
    if upload.kind == "image":
        if image is not None:
            raise ScriptioError("`image` goes with a PAGE/ALTO `file`; send an image as `file` alone")
        return PageUpload(upload.name, upload)
    if image is None:
        raise ScriptioError(f"{upload.name}: a PAGE/ALTO file needs its page image: send it as `image`")
    if image.kind != "image":
        raise ScriptioError(f"{image.name}: `image` must be the page image, not an XML file")
    return page_with_image(upload, image)
