"""A model card, written from what a model file records about itself.

Model files carry their whole history in their metadata: every fine-tuning stage keeps the one
before it under `fine_tuned_from`, with its recipe, data, settings and measured error rates.
The card lays that out for people (oldest stage first), so the history lives with the weights
and not in the README.
"""
from __future__ import annotations

import json
from pathlib import Path

from scriptio.models.store import read_model_file, resolve_model_path

# Settings worth a column in the stage table, in this order (old trainer and engine names).
SETTING_KEYS = ("device", "optimizer", "lr", "batch_size", "augment_probability", "freeze_norm", "minutes",
                "max_minutes", "ema_decay", "precision")


# Figures that are counts, not rates: shown as they are, not as percentages.
COUNT_KEYS = ("unmatched_per_page", "lines_per_s", "seconds_per_page")


def _percent(value, key: str = "") -> str:
    if not isinstance(value, (int, float)):
        return "–"
    return f"{value:g}" if key in COUNT_KEYS else f"{100 * value:.2f}%"


def _reads(metadata: dict) -> list[str]:
    """What the model takes in: pages for a layout model, normalized lines for a recognizer."""
    if metadata.get("kind") == "layout":
        return [f"- reads pages scaled to {metadata.get('work_side', '?')} px on their long side; predicts maps: "
                f"{', '.join(metadata.get('targets', [])) or '?'}"]
    preprocessing = metadata.get("preprocessing", {})
    return [f"- reads lines {preprocessing.get('height', '?')} px high, normalized with steps "
            f"{', '.join(preprocessing.get('steps', [])) or '–'}"]


def _characters(metadata: dict) -> list[str]:
    """The characters a recognizer writes: a CTC alphabet, or an HMM's characters and the space."""
    chars = (metadata.get("alphabet") or {}).get("chars")
    if chars is None and isinstance(metadata.get("chars"), list):
        chars = [" ", *metadata["chars"]]
    return list(chars or [])


def _source_names(training: dict) -> list[str]:
    """The data sets a training stage read, by name (layout stages list page sets)."""
    names = [s["name"] for s in training.get("sources") or [] if isinstance(s, dict) and "name" in s]
    names += [name for name in training.get("sets") or [] if isinstance(name, str)]
    for run in (training.get("runs") or {}).values():
        if isinstance(run, dict):
            names += _source_names(run)
    return list(dict.fromkeys(names))


def _sections(metadata: dict) -> list[str]:
    """Data, alphabet, recipe: what a reader of the card looks for first (the latest stage's)."""
    training = metadata.get("training") or {}
    sources = _sources(training)
    weights = " (lines per set; ×N: the set's sampling weight)" if training.get("sources") else ""
    lines = ["", "## Data", "", f"Last trained on: {sources}{weights}." if sources
             else "The model file records no training data."]
    if metadata.get("fine_tuned_from"):
        lines.append("Earlier stages: see *How it was trained* below.")
    chars = _characters(metadata)
    if metadata.get("kind") != "layout":
        lines += ["", "## Alphabet", "", f"{len(chars)} characters: `{''.join(chars)}`" if chars
                  else "The model file records no alphabet."]
    recipe = str(training.get("recipe", "")).strip()
    lines += ["", "## Recipe", "", recipe or "The model file records no recipe."]
    return lines


def _licence(metadata: dict) -> list[str]:
    """The weights' licence when the metadata records one, and every training set's."""
    from scriptio.data.shared_sets import SET_LICENCES

    licence = metadata.get("licence") or metadata.get("license")
    lines = ["", "## Licence", "",
             f"- weights: {licence if isinstance(licence, str) else json.dumps(licence, ensure_ascii=False)}"
             if licence else "- weights: the model file records no licence"]
    names = list(dict.fromkeys(name for stage in _stages(metadata)
                               for name in _source_names(stage.get("training") or {})))
    for name in names:
        known = SET_LICENCES.get(name)
        lines.append(f"- training data {name}: {known[0]} ({known[1]})" if known
                     else f"- training data {name}: licence not known to scriptio")
    return lines


def _stages(metadata: dict) -> list[dict]:
    """The model's stages, oldest first (each stage's metadata without its own predecessor)."""
    chain, current = [], metadata
    while isinstance(current, dict):
        chain.append(current)
        current = current.get("fine_tuned_from")
    return list(reversed(chain))


def _sources(training: dict) -> str:
    runs = training.get("runs")
    if isinstance(runs, dict):
        return "; ".join(f"{name}: {_sources(run)}" for name, run in runs.items())
    if training.get("task") == "layout":
        return f"{training.get('pages', '?')} pages of {', '.join(training.get('sets', [])) or '?'}"
    sources = training.get("sources") or []
    return ", ".join(f"{s['name']} ({s['lines']}" + (f", ×{s['weight']}" if s.get("weight", 1) != 1 else "") + ")"
                     for s in sources if isinstance(s, dict) and "name" in s)


def _settings(training: dict) -> str:
    config = dict(training.get("config") or {}, **(training.get("engine") or {}))
    runs = training.get("runs")
    if not config and isinstance(runs, dict):
        return "; ".join(f"{name}: {_settings(run)}" for name, run in runs.items())
    return ", ".join(f"{key} {config[key]}" for key in SETTING_KEYS if config.get(key) not in (None, False))


def model_card(name_or_path: str | Path | None = None) -> str:
    """Markdown describing a model file: what it is, how it reads, and how it came to be."""
    path = resolve_model_path(name_or_path)
    state, metadata = read_model_file(path)
    parameters = sum(tensor.numel() for tensor in state.values() if tensor.is_floating_point())
    lines = [f"# Model card: {path.name}", "",
             f"- file: `{path}` ({path.stat().st_size / 1e6:.1f} MB, {parameters / 1e6:.2f} M parameters)",
             f"- kind: {metadata.get('kind', 'ctc')}; architecture: {metadata.get('arch', '?')} "
             f"`{json.dumps(metadata.get('config', {}), ensure_ascii=False)}`", *_reads(metadata)]
    if metadata.get("steps_added_after_training"):
        lines.append(f"- steps added after training, without retraining: "
                     f"{', '.join(metadata['steps_added_after_training'])}")
    if metadata.get("averaged_from"):
        lines.append(f"- weights: the mean of {len(metadata['averaged_from'])} model files")
    lines += _sections(metadata)
    measured = {key: metadata[key] for key in ("val_cer_measured", "val_cer", "dev", "val_f1_measured",
                                                           "val_page_cer_measured") if isinstance(metadata.get(key), dict)}
    sets = _measured_sets(measured)
    lines += ["", "## Measured" if metadata.get("kind") == "layout" else "## Validation CER per set", ""]
    if sets:
        lines += ["| figure | " + " | ".join(sets) + " |", "| --- |" + " ---: |" * len(sets)]
        for key, values in measured.items():
            lines.append(f"| {key} | " + " | ".join(_percent(values.get(s), s) for s in sets) + " |")
        for key in ("val_wer_measured", "val_cer_measured_without_polygons"):
            if isinstance(metadata.get(key), dict):
                values = metadata[key]
                lines.append(f"| {key} | " + " | ".join(_percent(values.get(s)) for s in sets) + " |")
        command = next((v.get("command") for v in measured.values() if v.get("command")), None)
        if command:
            lines += ["", f"Measured with `{command}`."]
    else:
        lines.append("The model file records no measurement on validation data.")
    lines += _licence(metadata)
    lines += ["", "## How it was trained (oldest stage first)", "",
              "| stage | started from | recipe | data (lines, weight) | settings | measured after |",
              "| ---: | --- | --- | --- | --- | --- |"]
    for number, stage in enumerate(_stages(metadata), start=1):
        training = stage.get("training") or {}
        origin = (stage.get("fine_tuned_from") or {}).get("model", "random initialization")
        cer = stage.get("val_cer_measured") or stage.get("val_cer") or stage.get("dev") or {}
        cer_text = ", ".join(f"{k} {_percent(v, k)}" for k, v in cer.items()
                             if isinstance(v, (int, float)) and k != "score")
        recipe = str(training.get("recipe", "")).replace("|", "/").replace("\n", " ")
        lines.append(f"| {number} | {origin} | {recipe or '–'} | {_sources(training) or '–'} | "
                     f"{_settings(training) or '–'} | {cer_text or '–'} |")
    return "\n".join(lines) + "\n"


def _measured_sets(measured: dict) -> list[str]:
    names: list[str] = []
    for values in measured.values():
        names += [k for k, v in values.items() if isinstance(v, (int, float)) and k not in names and k != "score"]
    return names
