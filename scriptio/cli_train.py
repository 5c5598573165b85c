"""`scriptio train`: a line recognizer from any datasets, with every trainer option exposed."""
from __future__ import annotations

from pathlib import Path

from scriptio.errors import DataError
from scriptio.image.normalize import DEFAULT_STEPS
from scriptio.nets.crnn import CRNNConfig
from scriptio.train.setup import load_cache, new_crnn_recognizer, records_by_dataset
from scriptio.train.trainer import Source, TrainConfig, Trainer


def run_train(data: list[str], val: list[str], out: Path, arch: str, height: int, hidden: int, layers: int,
              optimizer: str, lr: float, weight_decay: float, schedule: str, warmup: int, epochs: int,
              minutes: float | None, batch_size: int, dropout: float, patience: int, curriculum: int,
              augment: bool, seed: int, weight: list[float], resume: bool, keep_epochs: bool, threads: int,
              device: str, packed: bool = False, end_margin: int = 16, width_normalization: bool = False) -> None:
    if arch != "crnn":
        raise DataError(f"architecture {arch!r} is not available yet; use --arch crnn")
    if weight and len(weight) != len(data):
        raise DataError(f"give one --weight per DATA ({len(data)}), or none")
    if end_margin < 0:
        raise DataError(f"--end-margin {end_margin}: give a margin of 0 or more pixels")
    train_sets = [(spec, records_by_dataset([spec])) for spec in data]
    texts = [r.text or "" for _, grouped in train_sets for records in grouped.values() for r in records]
    if not any(texts):
        raise DataError("the training data has no transcriptions (.gt.txt files or manifest text)")
    config = CRNNConfig(height=height, hidden=hidden, layers=layers, dropout=dropout, packed=packed,
                        end_margin=end_margin if packed else 0)
    steps = (*DEFAULT_STEPS, "width") if width_normalization else DEFAULT_STEPS
    recognizer = new_crnn_recognizer(texts, config, steps)
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
                               threads=threads, device=device, keep_epoch_models=keep_epochs)
    trainer = Trainer(recognizer, sources, val_caches, train_config, out)
    state = trainer.fit(resume=resume)
    if not val_caches:
        recognizer.save(out / "best.safetensors", trainer.summary_metadata({}))
    print(f"best model: {out / 'best.safetensors'} (epoch {state.best_epoch}, mean val CER {state.best_cer:.2%})")
