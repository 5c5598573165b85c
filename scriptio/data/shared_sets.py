"""The handwriting sets of ../shared/data/htr that recipes train on, found by name."""
from __future__ import annotations

from pathlib import Path

from scriptio.errors import DataError

SETS = ("hooker", "copiste", "peraire", "mss20", "poilus", "lectaurep")
FRENCH_SETS = ("copiste", "peraire", "mss20", "poilus", "lectaurep")


def set_manifests(shared: Path, log=print) -> dict[str, Path]:
    """The lines.jsonl of each set present under shared/data/htr (naming any missing one)."""
    manifests = {name: shared / "data" / "htr" / name / "lines.jsonl" for name in SETS}
    present = {name: manifest for name, manifest in manifests.items() if manifest.exists()}
    if not present:
        raise DataError(f"{shared / 'data' / 'htr'} holds none of the sets {', '.join(SETS)}: "
                        "give --shared the folder that holds data/htr")
    if len(present) < len(SETS):
        missing = ", ".join(name for name in SETS if name not in present)
        log(f"no {missing} under {shared / 'data' / 'htr'}: going on without them")
    return present
