"""The shapes of the answers, for the OpenAPI schema that FastAPI serves at /openapi.json."""
from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, Field

from scriptio.api.inputs import LEVELS
from scriptio.export import FORMATS

# Choices derived from the facade and the writers' registry: a new writer is a new format here too.
Level = Enum("Level", {name: name for name in LEVELS}, type=str)
OutputFormat = Enum("OutputFormat", {name: name for name in FORMATS}, type=str)


class ErrorBody(BaseModel):
    error: str = Field(description="what went wrong and, where the client can, how to fix it")


class ReadAnswer(BaseModel):
    pages: list[dict[str, Any]] = Field(description="each page as the JSON writer writes it")


class JobAccepted(BaseModel):
    id: str
    status: Literal["queued"]
    pages: int = Field(description="pages queued (a multi-page TIFF gives one per frame)")
    url: str


class JobOptions(BaseModel):
    level: str
    format: str
    model: str | None
    lm: str | None


class JobPage(BaseModel):
    position: int
    name: str = Field(description="the uploaded file's name, for display (frames after the first: name_p2, ...)")
    status: Literal["queued", "running", "done", "failed"]
    attempts: int = Field(description="times a worker took the page (more than 1 after a restart)")
    output: Any = Field(None, description="the result: a JSON object for format json, else the document as text")
    error: str | None = None


class JobReport(BaseModel):
    id: str
    status: Literal["queued", "running", "done"]
    created_at: str
    finished_at: str | None
    options: JobOptions
    pages_total: int
    pages_done: int
    pages_failed: int
    pages: list[JobPage]


class ModelsAnswer(BaseModel):
    recognizers: list[dict[str, Any]]
    segmenter: dict[str, Any]
    language_models: list[dict[str, Any]]


class Health(BaseModel):
    status: Literal["ok"]
    unfinished_jobs: int
    queued_pages: int
    workers: int
    paused: bool
