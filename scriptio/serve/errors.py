"""Every expected failure leaves the server as JSON `{"error": "..."}` with its status, never a
traceback: a client program can branch on the status and show the message to a person."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from scriptio.errors import ScriptioError

log = logging.getLogger("scriptio.serve")


class ApiError(Exception):
    """A refusal with an HTTP status: raised anywhere below the routes, answered as JSON."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _validation_message(error: RequestValidationError) -> str:
    """'level: Input should be 'line', 'block' or 'page'' — the field and what is wrong, per problem."""
    parts = []
    for problem in error.errors():
        if problem.get("type") == "json_invalid":  # loc is ("body", offset): say what and where
            detail = (problem.get("ctx") or {}).get("error", "")
            offset = problem.get("loc", (None, None))[-1]
            parts.append(f"the request body is not valid JSON ({detail} at character {offset})" if detail
                         else "the request body is not valid JSON")
            continue
        if tuple(problem.get("loc", ())) == ("body",):
            parts.append(f"request body: {problem.get('msg', 'invalid')}")
            continue
        where = ".".join(str(item) for item in problem.get("loc", ()) if item not in ("body", "query", "path"))
        parts.append(f"{where}: {problem.get('msg', 'invalid')}" if where else str(problem.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Map ApiError, ScriptioError (a user's unusable input: 422), FastAPI's validation errors
    (422), HTTP errors (404, 405, a malformed multipart body's 400) and anything unexpected (500,
    logged with its traceback here, never sent) to the one JSON shape."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.message, error.headers)

    @app.exception_handler(ScriptioError)
    async def scriptio_error(request: Request, error: ScriptioError) -> JSONResponse:
        return error_response(422, str(error))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(422, _validation_message(error))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return error_response(error.status_code, str(error.detail), getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error in %s %s", request.method, request.url.path)
        return error_response(500, "internal error (the server log has the details)")
