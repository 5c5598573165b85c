"""A tiny paragraph reader that has learned where lines are: for tests of the reader, its kind
and the facade's block reading, without training data or a real model."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from scriptio.data.blocks import Block
from scriptio.image.enhance import stretch_contrast
from scriptio.nets.crnn import CRNNConfig
from scriptio.nets.paragraph import ParagraphConfig, ParagraphNet
from scriptio.text.codec import Alphabet
from scriptio.train.paragraph_task import ParagraphTask

TINY = CRNNConfig(height=48, channels=(4, 8, 8, 8), hidden=8, layers=1, num_classes=5, dropout=0.0, conv_dropout=0.0)
PITCH = 40.0
ALPHABET = Alphabet(list("abcd"))


def tiny_net(seed: int = 0) -> ParagraphNet:
    torch.manual_seed(seed)
    return ParagraphNet(ParagraphConfig(crnn=TINY.to_json(), attention=16, state=16, max_lines=8))


def bars_block(lines: int, rng: np.random.Generator) -> Block:
    """Lines of dark bars every PITCH px (the reader's scale)."""
    width = 160
    image = np.full((int(PITCH * lines + 20), width), 245, np.uint8)
    centres = []
    for line in range(lines):
        centre = 10 + PITCH * (line + 0.5) + rng.uniform(-3, 3)
        x = int(rng.integers(0, 20))
        while x < width - 30:
            length = int(rng.integers(10, 30))
            image[int(centre) - 7:int(centre) + 7, x:x + length] = 30
            x += length + int(rng.integers(5, 12))
        centres.append(centre)
    return Block("b", image, ["a"] * lines, centres)



@lru_cache(maxsize=2)
def trained_tiny_reader(respace: bool = False, most_lines: int = 3, steps: int = 120) -> ParagraphNet:
    """Attention and end decision trained on blocks of 1 to `most_lines` bar lines (120 steps:
    about 4 s on one core), with re-spaced copies too if `respace`; the line model stays
    untrained, so what it reads is noise but where it reads is learned."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rng = np.random.default_rng(0)
        net = tiny_net()
        net.freeze("reader")
        # contrast-stretched, as reading prepares a block (page_blocks does the same)
        blocks = [bars_block(int(rng.integers(1, most_lines + 1)), rng) for _ in range(24)]
        blocks = [Block(b.id, stretch_contrast(b.image), b.texts, b.centres) for b in blocks]
        task = ParagraphTask(net, ALPHABET, blocks, [], [], lambda *a: None, PITCH, blocks_per_step=4, respace=respace)
        optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-2)
        generator = torch.Generator()
        for _ in range(steps):
            loss, _ = task.loss(net, task.next_batch(generator, progress=1.0))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
    return net.eval()
