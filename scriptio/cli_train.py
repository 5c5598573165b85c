"""`scriptio train`: a line recognizer from any datasets, with every trainer option exposed."""
from __future__ import annotations

from pathlib import Path

from scriptio.errors import DataError
from scriptio.image.normalize import DEFAULT_STEPS
from scriptio.models.recognizer import LineRecognizer, load_recognizer
from scriptio.nets.crnn import CRNNConfig
from scriptio.train.finetune import extend_alphabet, fine_tuned_provenance
from scriptio.train.setup import load_cache, new_crnn_recognizer, records_by_dataset
from scriptio.train.trainer import Source, TrainConfig, Trainer

# A trained model is near a good minimum: a tenth of a new model's learning rate refines it
# without first undoing what it knows.
NEW_MODEL_LR, FINE_TUNING_LR = 1e-3, 1e-4


def run_train(data: list[str], val: list[str], out: Path, arch: str, height: int, hidden: int, layers: int,
              optimizer: str, lr: float | None, weight_decay: float, schedule: str, warmup: int, epochs: int,
              minutes: float | None, batch_size: int, dropout: float, patience: int, curriculum: int,
              augment: bool, seed: int, weight: list[float], resume: bool, keep_epochs: bool, threads: int,
              device: str, packed: bool = False, end_margin: int = 16, width_normalization: bool = False,
              init: str | None = None, freeze_norm: bool = False) -> None:
    if arch != "crnn":
        raise DataError(f"architecture {arch!r} is not available yet; use --arch crnn")
    if weight and len(weight) != len(data):
        raise DataError(f"give one --weight per DATA ({len(data)}), or none")
    if end_margin < 0:
        raise DataError(f"--end-margin {end_margin}: give a margin of 0 or more pixels")
    if freeze_norm and init is None:
        raise DataError("--freeze-norm keeps a trained model's batch-norm statistics: give that model with --init")
    train_sets = [(spec, records_by_dataset([spec])) for spec in data]
    texts = [r.text or "" for _, grouped in train_sets for records in grouped.values() for r in records]
    if not any(texts):
        raise DataError("the training data has no transcriptions (.gt.txt files or manifest text)")
    if init is not None:
        recognizer = fine_tuning_start(init, texts, packed, end_margin, width_normalization)
    else:
        config = CRNNConfig(height=height, hidden=hidden, layers=layers, dropout=dropout, packed=packed,
                            end_margin=end_margin if packed else 0)
        steps = (*DEFAULT_STEPS, "width") if width_normalization else DEFAULT_STEPS
        recognizer = new_crnn_recognizer(texts, config, steps)
    height = recognizer.height
    if lr is None:
        lr = FINE_TUNING_LR if init is not None else NEW_MODEL_LR
    sources = []
    for position, (spec, grouped) in enumerate(train_sets):
        records = [r for group in grouped.values() for r in group]
        sources.append(Source(spec, load_cache(records, height, recognizer.steps, spec),
                              weight[position] if weight else 1.0))
    val_caches = {name: load_cache(records, height, recognizer.steps, name)
                  for name, records in records_by_dataset(val).items()} if val else {}
    train_config = TrainConfig(optimizer=optimizer, lr=lr, weight_decay=weight_decay, schedule=schedule,
                               warmup_steps=warmup, epochs=epochs, max_minutes=minutes, batch_size=batch_size,
                               patience=patience, seed=seed, curriculum_epochs=curriculum, augment=augment,
                               threads=threads, device=device, keep_epoch_models=keep_epochs,
                               freeze_norm=freeze_norm)
    trainer = Trainer(recognizer, sources, val_caches, train_config, out)
    state = trainer.fit(resume=resume)
    if not val_caches:
        recognizer.save(out / "best.safetensors", trainer.summary_metadata({}))
        print(f"model: {out / 'best.safetensors'} (last epoch; give --val to keep the best one)")
    else:
        print(f"best model: {out / 'best.safetensors'} (epoch {state.best_epoch}, mean val CER {state.best_cer:.2%})")


def fine_tuning_start(init: str, texts: list[str], packed: bool, end_margin: int,
                      width_normalization: bool) -> LineRecognizer:
    """The model to fine-tune: its own shape and preprocessing, switched to packed reading or
    given the width step when asked, with output classes for the data's new characters."""
    recognizer = load_recognizer(init)
    recognizer.metadata = fine_tuned_provenance(init, recognizer.metadata)
    if packed:
        recognizer.network.config.packed, recognizer.network.config.end_margin = True, end_margin
    if width_normalization and "width" not in recognizer.steps:
        recognizer.steps = (*recognizer.steps, "width")
    added = extend_alphabet(recognizer, texts)
    if added:
        print(f"{len(added)} characters new to {init} get output classes: {''.join(added)}", flush=True)
    return recognizer
