"""Start training from a trained model: its provenance, and room for characters it never saw.

Fine-tuning the default model on a new collection is the usual way to read a new hand; that
collection often writes characters the model has no output for (a long s, a currency sign, a
language's accents). Those get new output classes appended after the old ones, so every trained
weight keeps its meaning.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn

from scriptio.errors import DataError
from scriptio.models.ctc import CtcRecognizer
from scriptio.text.codec import Alphabet
from scriptio.text.normalize import normalize_text

# What a fine-tuned model keeps of its starting model: how it was trained and how well it read.
PROVENANCE_KEYS = ("training", "val_cer", "val_cer_measured", "val_wer_measured",
                   "val_cer_measured_without_polygons", "steps_added_after_training", "fine_tuned_from")
# A new class starts this far below the lowest trained output bias: the network does not emit
# it before training has given it weights, yet its gradient is not vanishingly small.
NEW_CLASS_BIAS_MARGIN = 2.0


def fine_tuned_provenance(init: Path | str, metadata: dict) -> dict:
    """Metadata of a model fine-tuned from `init`: the old figures no longer describe it, so they
    move under `fine_tuned_from`, where they still say what the fine-tuning started from."""
    kept = {key: metadata[key] for key in PROVENANCE_KEYS if key in metadata}
    return {"fine_tuned_from": {"model": str(init), **kept}}


def unseen_characters(recognizer: CtcRecognizer, texts: Iterable[str]) -> list[str]:
    """Characters of `texts` (NFC-normalized) missing from the model's alphabet, sorted."""
    known = set(recognizer.alphabet.chars)
    return sorted({char for text in texts for char in normalize_text(text)} - known)


def extend_alphabet(recognizer: CtcRecognizer, texts: Iterable[str]) -> list[str]:
    """Give the model an output class for every character of `texts` it lacks; returns them.

    The old classes keep their indices, weights and logits. A new class's weights start at zero
    and its bias below every trained one: it is not emitted before training gives it weights.
    """
    new_chars = unseen_characters(recognizer, texts)
    if not new_chars:
        return []
    output = getattr(recognizer.network, "output", None)
    if not isinstance(output, nn.Linear):
        raise DataError(f"the {getattr(recognizer.network, 'arch', 'model')} network cannot grow its alphabet "
                        f"for {''.join(new_chars)!r}: remove those characters from the transcriptions")
    grown = nn.Linear(output.in_features, output.out_features + len(new_chars))
    with torch.no_grad():
        grown.weight.zero_()
        grown.weight[: output.out_features] = output.weight
        grown.bias.fill_(float(output.bias.detach().min()) - NEW_CLASS_BIAS_MARGIN)
        grown.bias[: output.out_features] = output.bias
    recognizer.network.output = grown.to(output.weight.device)
    recognizer.network.config.num_classes = grown.out_features
    recognizer.alphabet = Alphabet([*recognizer.alphabet.chars, *new_chars], policy=recognizer.alphabet.policy)
    return new_chars
