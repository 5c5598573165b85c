"""A BLSTM reading 3 frames per step: hybrids still get one output per frame, CTC one per step,
and a line reads the same alone as beside a longer one (the padding never leaks in)."""
from __future__ import annotations

import torch

from scriptio.nets.frame_nets import FrameBLSTM, FrameNetConfig, pad_frames


def _net(per_frame: bool) -> FrameBLSTM:
    torch.manual_seed(0)
    return FrameBLSTM(FrameNetConfig(kind="blstm", inputs=5, classes=7, hidden=8, layers=2, stack=3,
                                     per_frame=per_frame, dropout=0.0)).eval()


def test_per_frame_outputs_match_the_frames_and_ctc_outputs_the_steps():
    lines = [torch.randn(10, 5), torch.randn(4, 5)]
    batch, lengths = pad_frames(lines)
    logprobs, out = _net(True)(batch, lengths)
    assert logprobs.shape == (10, 2, 7) and out.tolist() == [10, 4]
    logprobs, out = _net(False)(batch, lengths)
    assert logprobs.shape == (4, 2, 7) and out.tolist() == [4, 2]
    assert torch.allclose(logprobs.exp().sum(-1), torch.ones(4, 2))


def test_a_line_reads_the_same_alone_and_beside_a_longer_one():
    short, long = torch.randn(7, 5), torch.randn(16, 5)
    for per_frame in (True, False):
        net = _net(per_frame)
        alone, alone_lengths = net(*pad_frames([short]))
        together, lengths = net(*pad_frames([long, short]))
        n = int(alone_lengths[0])
        assert int(lengths[1]) == n
        assert torch.allclose(alone[:n, 0], together[:n, 1], atol=1e-6)
