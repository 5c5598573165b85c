"""scriptio: handwritten text recognition, pages in, text out.

Importing the package stays cheap (no torch); the public API is loaded lazily.
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["read_lines", "load_model", "__version__"]


def __getattr__(name: str):
    if name in ("read_lines", "load_model"):
        from scriptio import api

        return getattr(api, name)
    raise AttributeError(name)
