"""Give a trained model a normalization step it was not trained with.

Two kinds qualify, because they change what the network sees only within the range its
training augmentation already covered, so a model can read better with them without
retraining (measure before shipping):
- steps on already normalized lines, appended (today "width": stretch dense writing,
  `scriptio.image.width`); later fine-tunes train with them too (line packs apply them on loading);
- replacements of an older step, swapped in place (today "stroke_mask" for "mask": keep the
  line's own strokes that the polygon cuts); fine-tunes then need a pack made with them.

    scriptio model add-step IN.safetensors OUT.safetensors --step width
    scriptio model add-step IN.safetensors OUT.safetensors --step stroke_mask
"""
from __future__ import annotations

from pathlib import Path

from scriptio.errors import ModelError
from scriptio.image.normalize import NORMALIZED_LINE_STEPS, STEP_REPLACEMENTS
from scriptio.models.store import read_model_file, save_model


def add_step(source: Path, out: Path, step: str) -> list[str]:
    """Write `source` with `step` appended to (or swapped into) its preprocessing; return the new steps."""
    state, metadata = read_model_file(source)
    preprocessing = metadata.get("preprocessing")
    if not isinstance(preprocessing, dict) or "steps" not in preprocessing:
        raise ModelError(source, "model file records no preprocessing steps", "retrain it with this scriptio version")
    steps = list(preprocessing["steps"])
    if step in steps:
        raise ModelError(source, f"model already normalizes lines with {step!r}", "use it as it is")
    if step in STEP_REPLACEMENTS:
        replaced = STEP_REPLACEMENTS[step]
        if replaced not in steps:
            raise ModelError(source, f"model has no {replaced!r} step for {step!r} to replace",
                             f"retrain it with {step!r} instead")
        steps[steps.index(replaced)] = step
    else:
        steps.append(step)
    metadata = {key: value for key, value in metadata.items() if key != "format_version"}
    metadata["preprocessing"] = dict(preprocessing, steps=steps)
    metadata["steps_added_after_training"] = [*metadata.get("steps_added_after_training", []), step]
    save_model(out, state, metadata)
    return steps
