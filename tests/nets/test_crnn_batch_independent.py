"""A packed CRNN reads a line the same alone or beside wider lines; an unpacked one does not."""
import pytest
import torch

from scriptio.nets.crnn import CRNN, CRNNConfig


FOUR_X = ((2, 2), (2, 2), (2, 1), (2, 1))
EIGHT_X = ((2, 2), (2, 2), (2, 2), (2, 1))


def _network(batch_independent: bool, end_margin: int, pools=FOUR_X) -> CRNN:
    torch.manual_seed(0)
    network = CRNN(CRNNConfig(num_classes=9, hidden=24, layers=2, batch_independent=batch_independent, end_margin=end_margin,
                              pools=pools))
    network.train()
    for _ in range(3):  # non-trivial batch-norm statistics, so blank paper gives non-zero features
        network(torch.rand(2, 1, 48, 80), torch.full((2,), 80))
    return network.eval()


def _alone_and_in_batch(network: CRNN) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(1)
    short = (torch.rand(1, 1, 48, 60) > 0.7).float()
    wide = (torch.rand(1, 1, 48, 300) > 0.7).float()
    batch = torch.zeros(2, 1, 48, 300)
    batch[0, :, :, :60] = short[0]
    batch[1] = wide[0]
    with torch.no_grad():
        alone, alone_lengths = network(short, torch.tensor([60]))
        together, lengths = network(batch, torch.tensor([60, 300]))
    assert int(alone_lengths[0]) == int(lengths[0])
    frames = int(lengths[0])
    return alone[:frames, 0], together[:frames, 0]


@pytest.mark.parametrize("pools", [FOUR_X, EIGHT_X])
def test_batch_independent_network_reads_a_line_the_same_alone_or_in_a_batch(pools):
    alone, together = _alone_and_in_batch(_network(batch_independent=True, end_margin=16, pools=pools))
    assert torch.allclose(alone, together, atol=1e-5)


def test_unpacked_network_depends_on_the_batch_padding():
    alone, together = _alone_and_in_batch(_network(batch_independent=False, end_margin=0))
    assert not torch.allclose(alone, together, atol=1e-3)


@pytest.mark.parametrize("batch_independent", [False, True])
def test_end_margin_adds_blank_frames_to_every_line(batch_independent):
    network = _network(batch_independent=batch_independent, end_margin=16)
    with torch.no_grad():
        logprobs, lengths = network(torch.zeros(2, 1, 48, 120), torch.tensor([120, 80]))
    assert lengths.tolist() == [(120 + 16) // 4, (80 + 16) // 4]
    assert logprobs.shape[0] >= int(lengths.max())


def test_inference_halves_give_the_packed_result():
    network = _network(batch_independent=True, end_margin=16)
    torch.manual_seed(2)
    batch = (torch.rand(3, 1, 48, 200) > 0.7).float()
    widths = torch.tensor([200, 90, 130])
    with torch.no_grad():
        packed, lengths = network(batch, widths)
        network.prepare_for_inference()
        network.prepare_for_inference()  # twice is harmless
        halves, same_lengths = network(batch, widths)
    assert torch.equal(lengths, same_lengths)
    for line, frames in enumerate(lengths.tolist()):
        assert torch.allclose(packed[:frames, line], halves[:frames, line], atol=1e-4)
