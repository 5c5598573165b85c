"""The handwriting sets of ../shared/data/htr that recipes train on, found by name."""
from __future__ import annotations

from pathlib import Path

from scriptio.errors import DataError

SETS = ("hooker", "copiste", "peraire", "mss20", "poilus", "lectaurep")
FRENCH_SETS = ("copiste", "peraire", "mss20", "poilus", "lectaurep")
# Each set's licence and source repository (../shared/README.md), for model cards.
SET_LICENCES = {
    "hooker": ("CC-BY-SA 4.0", "jschaefer738b/JosephHookerHTR"),
    "copiste": ("CC-BY 4.0", "banq-dcn/Copiste-d-un-jour"),
    "peraire": ("CC-BY 4.0", "alix-tz/peraire-ground-truth"),
    "mss20": ("CC-BY 4.0", "HTR-United/CREMMA-MSS-20"),
    "poilus": ("CC-BY 4.0", "HTR-United/CREMMA-AN-TestamentsDePoilus"),
    "lectaurep": ("CC-BY 4.0", "HTR-United/lectaurep-mariages-et-divorces"),
}


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
