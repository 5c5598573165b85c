"""The limits every request meets before and while it is served: body size, display names of
uploaded files, and the deadline of a synchronous read."""
from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePosixPath, PureWindowsPath
from typing import TypeVar

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scriptio.serve.errors import ApiError, error_response

T = TypeVar("T")

MAX_NAME = 100
_UNSAFE = re.compile(r"[^\w.\- ()+,]", re.UNICODE)


class BodyTooLarge(HTTPException):
    """Raised inside `receive` once a body passes the limit. An HTTPException, because FastAPI
    turns any other exception raised while it parses a form into a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


def too_large_message(limit: int) -> str:
    return f"request body is larger than the {limit:,}-byte limit (send fewer or smaller files)"


class BodyLimit:
    """ASGI middleware answering 413 for a body over `limit` bytes: at once from Content-Length,
    or as soon as a chunked body passes the limit, so an oversized upload is never spooled whole.
    (Form parsing happens before a route runs, so the check must sit below FastAPI.)"""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _refusal(self):
        return error_response(413, too_large_message(self.limit))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refusal()(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refusal()(scope, receive, send)


def display_name(filename: str | None, fallback: str = "upload") -> str:
    """A client's file name made fit to show (never to open): the last path component of either
    kind of path, control and odd characters replaced, at most MAX_NAME characters. Uploads are
    stored under names the server makes; this name only labels results."""
    raw = (filename or "").replace("\x00", "")
    name = PureWindowsPath(PurePosixPath(raw).name).name
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" .")
    return name[:MAX_NAME] or fallback


class ReadSlots:
    """A fixed number of threads for synchronous reads, and a deadline for each.

    A read that misses its deadline is answered 504. If it had not started, it never will; if it
    had, Python cannot stop the thread, so it finishes in the background holding its slot: at most
    `slots` reads ever compute at once, however many clients give up.
    """

    def __init__(self, slots: int) -> None:
        self.executor = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="scriptio-read")

    async def run(self, work: Callable[[], T], timeout_s: float) -> T:
        future = self.executor.submit(work)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout_s)
        except asyncio.TimeoutError:
            future.cancel()
            raise ApiError(504, f"reading took longer than the {timeout_s:g}-s limit "
                                "(send a smaller image, or use POST /v1/jobs)") from None

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
