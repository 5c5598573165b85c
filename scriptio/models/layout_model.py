"""The layout model file: a U-Net that maps a page to baseline, core, line and region maps.

Like recognizer files, one .safetensors holds the weights and JSON metadata (architecture, the
maps it predicts and in which order, the working resolution), so the file alone rebuilds it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from scriptio.errors import ModelError
from scriptio.models.store import PACKAGE_MODELS, read_model_file, save_model
from scriptio.nets.unet import UNet, UNetConfig

KIND = "layout"
# Pages are read with their long side scaled to this many pixels (maps come out at half of it).
WORK_SIDE = 1024


class LayoutModel:
    def __init__(self, network: UNet, targets: tuple[str, ...], work_side: int = WORK_SIDE,
                 metadata: dict | None = None) -> None:
        self.network = network
        self.targets = tuple(targets)
        self.work_side = work_side
        self.metadata = metadata or {}

    def save(self, path: str | Path, extra: dict | None = None, half: bool = False) -> None:
        state = self.network.state_dict()
        if half:
            state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
        save_model(path, state, dict(self.metadata, **(extra or {}), kind=KIND, arch=self.network.arch,
                                     config=self.network.config.to_json(), targets=list(self.targets),
                                     work_side=self.work_side))

    def prepare_for_reading(self) -> None:
        self.network.prepare_for_inference()

    @torch.inference_mode()
    def predict(self, gray: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
        """Probability maps (C, h, w) of a grayscale page, and page pixels per map pixel (x, y)."""
        import cv2

        height, width = gray.shape
        scale = self.work_side / max(height, width)
        multiple = self.network.multiple
        new_h = max(multiple, int(round(height * scale / multiple)) * multiple)
        new_w = max(multiple, int(round(width * scale / multiple)) * multiple)
        small = cv2.resize(gray, (new_w, new_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        ink = 1.0 - torch.from_numpy(small).float().div_(255.0)
        batch = ink[None, None].contiguous(memory_format=torch.channels_last)
        maps = torch.sigmoid(self.network(batch))[0].numpy()
        # map pixel → page pixel, per axis (rounding to the multiple changes the aspect a little)
        return maps, (width / (maps.shape[2]), height / (maps.shape[1]))


def load_layout_model(name_or_path: str | Path | None = None) -> LayoutModel:
    """A layout model from its file, or the bundled one ('default')."""
    if name_or_path is None or str(name_or_path) == "default":
        path = PACKAGE_MODELS / "layout" / "model.safetensors"
    else:
        path = Path(name_or_path)
        if not path.exists():
            raise ModelError(path, "no such layout model file", "give a .safetensors file written by "
                             "`scriptio train --task layout`")
    state, metadata = read_model_file(path)
    if metadata.get("kind") != KIND:
        raise ModelError(path, f"not a layout model (kind {metadata.get('kind', 'ctc')!r})",
                         "give a model written by `scriptio train --task layout`")
    try:
        network = UNet(UNetConfig.from_json(metadata["config"]))
        network.load_state_dict({k: v.float() for k, v in state.items()})
    except (KeyError, ValueError, RuntimeError, TypeError) as error:
        raise ModelError(path, f"model file does not match its architecture ({str(error)[:80]})",
                         "retrain the model with this scriptio version") from None
    return LayoutModel(network.eval(), tuple(metadata["targets"]), int(metadata["work_side"]), metadata)
