"""`scriptio serve`: the HTTP API on a host and port (thin: parse, build the app, run uvicorn)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from scriptio.cli.common import check_options, fail, user_errors


def _recognizers(models: list[str]) -> dict[str, object]:
    """The bundled model as 'default', plus each `--model PATH` (named by its stem) or `NAME=PATH`."""
    from scriptio.models.store import resolve_model_path

    chosen: dict[str, object] = {"default": resolve_model_path(None)}
    for spec in models:
        name, _, path = spec.rpartition("=") if "=" in spec else (Path(spec).stem, "", spec)
        if not name or name in chosen:
            fail(f"--model {spec}: give each model a new name (NAME=PATH); taken: {', '.join(chosen)}")
        chosen[name] = resolve_model_path(path)
    return chosen


def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on (0.0.0.0: every interface)"),
    port: int = typer.Option(8000, help="port to listen on"),
    db: Optional[str] = typer.Option(None, help="job database URL (default: $SCRIPTIO_DB, else "
                                                "sqlite:///scriptio-serve.db in this folder)"),
    workers: int = typer.Option(1, help="threads processing job pages"),
    model: list[str] = typer.Option([], help="another recognizer clients may choose: PATH or NAME=PATH "
                                              "(repeatable; the bundled model is 'default')"),
    default_model: str = typer.Option("default", help="the recognizer used when a request names none"),
    segmenter: str = typer.Option("default", help="page segmenter: classic, learned or a layout model file"),
    max_upload_mb: float = typer.Option(50.0, help="largest request body, in MB (more: 413)"),
    read_timeout: float = typer.Option(60.0, help="seconds a POST /v1/read may take (more: 504)"),
    read_slots: int = typer.Option(2, help="POST /v1/read requests computed at once"),
    queue_size: int = typer.Option(100, help="unfinished jobs held at once (more: 429)"),
    cors_origin: list[str] = typer.Option([], help="an origin allowed to call the API from a browser "
                                                    "(repeatable; none: CORS stays off)"),
    threads: int = typer.Option(2, help="CPU threads for the networks"),
) -> None:
    """Serve the HTTP API (POST /v1/read, POST /v1/jobs, GET /v1/jobs/{id}, POST /v1/export, GET /v1/models,
    /healthz) and the web page at /."""
    check_options(threads=threads)
    try:
        import uvicorn

        from scriptio.serve import ModelCatalog, ServeSettings, create_app
        from scriptio.serve.settings import MB, default_db_url
    except ImportError as error:
        fail(f"the server needs its extra packages ({error.name} is missing): pip install 'scriptio[serve]'")
    with user_errors():
        try:
            settings = ServeSettings(db_url=db or default_db_url(), max_upload_bytes=int(max_upload_mb * MB),
                                     read_timeout_s=read_timeout, read_slots=read_slots, queue_size=queue_size,
                                     workers=workers, cors_origins=tuple(cors_origin))
            catalog = ModelCatalog(_recognizers(model), default=default_model, segmenter=segmenter, threads=threads)
        except ValueError as error:
            fail(str(error))
        app = create_app(settings, catalog, preload=True)
    typer.echo(f"scriptio serve: web page at http://{host}:{port}/ (API schema at /docs), jobs in {settings.db_url}",
               err=True)
    uvicorn.run(app, host=host, port=port, log_level="info")
