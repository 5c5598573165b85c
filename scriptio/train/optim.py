"""Optimizers and learning-rate schedules by name, with linear warm-up."""
from __future__ import annotations

import math

import torch


def make_optimizer(name: str, params, lr: float, weight_decay: float = 0.0, momentum: float = 0.9
                   ) -> torch.optim.Optimizer:
    name = name.lower()
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=True, weight_decay=weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}: choose adam, adamw, sgd, rmsprop or adagrad")


def lr_factor(schedule: str, progress: float, step: int, warmup_steps: int, min_factor: float = 0.02) -> float:
    """Multiplier of the base learning rate.

    `progress` in [0, 1] is how far training is (by steps or by wall time, whichever is ahead),
    so a time-budgeted run still anneals to the end of its budget.
    """
    warm = min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else 1.0
    progress = min(max(progress, 0.0), 1.0)
    if schedule == "constant":
        decay = 1.0
    elif schedule == "cosine":
        decay = min_factor + (1 - min_factor) * 0.5 * (1 + math.cos(math.pi * progress))
    elif schedule == "linear":
        decay = 1.0 - (1 - min_factor) * progress
    elif schedule == "step":
        decay = 0.1 ** int(progress * 3)
    else:
        raise ValueError(f"unknown schedule {schedule!r}: choose constant, cosine, linear or step")
    return warm * decay
