import pytest
import torch
from torch import nn

from scriptio.nets.crnn import CRNN, CRNNConfig
from scriptio.nets.layers import PairMaxPool, fold_batch_norm


@pytest.mark.parametrize("kernel", [(2, 2), (2, 1), (1, 2), (3, 2)])
@pytest.mark.parametrize("shape", [(2, 3, 8, 10), (1, 4, 7, 9)])
def test_pair_max_pool_equals_max_pool(kernel, shape):
    torch.manual_seed(0)
    x = torch.randn(shape).contiguous(memory_format=torch.channels_last)
    expected = nn.functional.max_pool2d(x, kernel)
    assert torch.equal(PairMaxPool(kernel)(x).contiguous(), expected.contiguous())


def test_pair_max_pool_passes_gradient_to_the_maximum():
    x = torch.tensor([[[[1.0, 5.0], [2.0, 3.0]]]], requires_grad=True)
    PairMaxPool((2, 2))(x).sum().backward()
    assert x.grad.tolist() == [[[[0.0, 1.0], [0.0, 0.0]]]]


def test_folding_batch_norm_keeps_the_network_output():
    torch.manual_seed(0)
    network = CRNN(CRNNConfig(num_classes=7))
    network.train()
    for _ in range(3):  # give the batch norms non-trivial running statistics
        network(torch.rand(4, 1, 48, 64), torch.full((4,), 64))
    network.eval()
    images, widths = torch.rand(3, 1, 48, 80), torch.tensor([80, 72, 64])
    with torch.no_grad():
        before, _ = network(images, widths)
        network.prepare_for_inference()
        after, _ = network(images, widths)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in network.modules())
    assert torch.allclose(before, after, atol=1e-4)
    assert fold_batch_norm(network.cnn) == 0  # nothing left to fold
