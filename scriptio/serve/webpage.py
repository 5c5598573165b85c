"""The web page at `/`: static files shipped in the package (scriptio/serve/static), no build
step and nothing fetched from elsewhere, so the page works on a machine without internet.

The page only calls the public API (/v1/models, /v1/read, /v1/export); it has no routes of its
own beyond its files. A strict Content-Security-Policy keeps it to its own origin.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(str(files("scriptio.serve") / "static"))

# Own scripts and styles only; page images are shown from blob: URLs made in the browser.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
       "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Cache-Control": "no-cache"}


class _StaticFiles(StaticFiles):
    """StaticFiles with the page's security headers on every file."""

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers.update(HEADERS)
        return response


def install_web_page(app: FastAPI) -> None:
    """Serve index.html at `/` and its scripts and styles under /static (not in the API schema)."""
    if not (STATIC / "index.html").is_file():  # an install without the package data
        raise RuntimeError(f"the web page's files are missing from {STATIC}: reinstall scriptio")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8", headers=HEADERS)

    app.mount("/static", _StaticFiles(directory=STATIC), name="static")
