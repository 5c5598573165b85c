"""The HTTP API (`scriptio serve`): read a page now, queue many as jobs kept in a database.

    from scriptio.serve import create_app, ServeSettings
    app = create_app(ServeSettings(db_url="sqlite:///jobs.db"))   # any ASGI server runs it

Modules, one job each: `app` routes, `store` persistence, `worker` job threads, `reading` the one
call into the facade, `uploads` files into pages, `catalog` models by name, `limits` size, names
and deadlines, `errors` the JSON error shape, `schemas` the OpenAPI shapes, `settings` the knobs,
`edited` a corrected page posted back for export, `webpage` the page at `/` (files in `static/`).
Importing this package needs FastAPI (`pip install scriptio[serve]`); it does not import torch.
"""
from __future__ import annotations

__all__ = ["ModelCatalog", "ServeSettings", "create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from scriptio.serve.app import create_app

        return create_app
    if name == "ServeSettings":
        from scriptio.serve.settings import ServeSettings

        return ServeSettings
    if name == "ModelCatalog":
        from scriptio.serve.catalog import ModelCatalog

        return ModelCatalog
    raise AttributeError(name)
