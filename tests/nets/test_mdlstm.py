import pytest
import torch

from scriptio.nets.mdlstm import MDLSTM


def naive_mdlstm(layer: MDLSTM, x: torch.Tensor) -> torch.Tensor:
    """The textbook recurrence, one pixel at a time in each corner's own scan order, with the layer's weights.

    States live in dicts, not in preallocated tensors, so that autograd can differentiate it too.
    """
    batch, _, height, width = x.shape
    hidden = layer.hidden
    zeros = x.new_zeros(batch, hidden)
    outputs = []
    for direction in range(layer.directions):
        flip_rows, flip_columns = direction in (2, 3), direction in (1, 3)
        rows = range(height - 1, -1, -1) if flip_rows else range(height)
        columns = range(width - 1, -1, -1) if flip_columns else range(width)
        row_step, column_step = (1 if flip_rows else -1), (1 if flip_columns else -1)  # towards the predecessor
        h: dict[tuple[int, int], torch.Tensor] = {}
        c: dict[tuple[int, int], torch.Tensor] = {}
        for i in rows:
            for j in columns:
                up, left = (i + row_step, j), (i, j + column_step)
                pre = (x[:, :, i, j] @ layer.input_weight[direction] + layer.input_bias[direction, 0]
                       + torch.cat([h.get(up, zeros), h.get(left, zeros)], dim=1) @ layer.recurrent_weight[direction])
                input_gate, forget_up, forget_left, output_gate, candidate = pre.split(hidden, dim=1)
                c[i, j] = (input_gate.sigmoid() * candidate.tanh() + forget_up.sigmoid() * c.get(up, zeros)
                           + forget_left.sigmoid() * c.get(left, zeros))
                h[i, j] = output_gate.sigmoid() * c[i, j].tanh()
        grid = torch.stack([torch.stack([h[i, j] for j in range(width)], dim=-1) for i in range(height)], dim=-2)
        outputs.append(grid)
    return torch.cat(outputs, dim=1)


@pytest.mark.parametrize("directions", [1, 4])
@pytest.mark.parametrize("shape", [(2, 3, 4, 7), (2, 3, 1, 5), (1, 2, 6, 1), (1, 1, 1, 1), (2, 2, 5, 3)])
def test_wavefront_matches_pixel_by_pixel_recurrence(shape, directions):
    torch.manual_seed(0)
    layer = MDLSTM(shape[1], 3, directions).double()
    with torch.no_grad():  # larger weights than the default, so that mistakes show
        for parameter in layer.parameters():
            parameter.mul_(2.0)
    x = torch.randn(shape, dtype=torch.float64)
    with torch.no_grad():
        fast, slow = layer(x), naive_mdlstm(layer, x)
    assert fast.shape == slow.shape == (shape[0], 3 * directions, shape[2], shape[3])
    assert torch.allclose(fast, slow, atol=1e-6, rtol=0)


def test_two_directions_are_the_top_corners():
    torch.manual_seed(1)
    layer = MDLSTM(2, 2, directions=2).double()
    x = torch.randn(1, 2, 3, 4, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(layer(x), naive_mdlstm(layer, x), atol=1e-6, rtol=0)


def test_gradients_match_finite_differences():
    torch.manual_seed(0)
    layer = MDLSTM(2, 2, directions=4).double()
    x = torch.randn(1, 2, 3, 4, dtype=torch.float64, requires_grad=True)
    parameters = tuple(layer.parameters())

    def run(x, *weights):
        return torch.func.functional_call(layer, dict(zip([n for n, _ in layer.named_parameters()], weights)), (x,))

    assert torch.autograd.gradcheck(run, (x, *parameters))


def test_gradients_match_the_naive_recurrence_across_a_batch():
    torch.manual_seed(2)
    layer = MDLSTM(2, 3, directions=4).double()
    x = torch.randn(2, 2, 3, 5, dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(2, 12, 3, 5, dtype=torch.float64)
    fast = torch.autograd.grad((layer(x) * upstream).sum(), (x, *layer.parameters()))
    slow = torch.autograd.grad((naive_mdlstm(layer, x) * upstream).sum(), (x, *layer.parameters()))
    for fast_grad, slow_grad in zip(fast, slow):
        assert torch.allclose(fast_grad, slow_grad, atol=1e-9, rtol=1e-7)


def test_tall_images_with_open_forget_gates_keep_finite_gradients():
    # With both forget gates near 1 the cell state grows like a binomial coefficient; cells right of
    # the image would overflow if they were computed, and poison the backward pass with 0 * inf.
    layer = MDLSTM(1, 2, directions=1)
    with torch.no_grad():  # every gate open and the candidate near 1 wherever a neighbour is active
        layer.recurrent_weight.fill_(10.0)
        layer.input_weight.zero_()
        layer.input_bias.fill_(10.0)
    x = torch.rand(1, 1, 300, 2, requires_grad=True)
    layer(x).sum().backward()
    assert torch.isfinite(x.grad).all()
    assert all(torch.isfinite(parameter.grad).all() for parameter in layer.parameters())


def test_output_shape_dtype_and_channel_count():
    layer = MDLSTM(3, 5, directions=4)
    assert layer.out_channels == 20
    threads = torch.get_num_threads()
    out = layer(torch.randn(2, 3, 6, 9))
    assert torch.get_num_threads() == threads  # the one-thread scan gives the caller's setting back
    assert out.shape == (2, 20, 6, 9) and out.dtype == torch.float32
    assert torch.isfinite(out).all()
    assert MDLSTM(3, 5, directions=1)(torch.randn(1, 3, 2, 2)).shape == (1, 5, 2, 2)
    with pytest.raises(ValueError):
        MDLSTM(3, 5, directions=5)


def test_top_left_scan_sees_only_the_upper_left_quadrant():
    torch.manual_seed(0)
    layer = MDLSTM(1, 2, directions=1).double()
    x = torch.randn(1, 1, 5, 6, dtype=torch.float64)
    with torch.no_grad():
        before = layer(x)
        for i, j in [(0, 0), (2, 3), (4, 1), (1, 5)]:
            changed = x.clone()
            changed[0, 0, i, j] += 1.0
            moved = (layer(changed) - before).abs().amax(dim=(0, 1)) > 0
            rows, columns = torch.meshgrid(torch.arange(5), torch.arange(6), indexing="ij")
            assert torch.equal(moved, (rows >= i) & (columns >= j)), (i, j)


def test_each_direction_sees_its_own_quadrant():
    torch.manual_seed(0)
    layer = MDLSTM(1, 2, directions=4).double()
    x = torch.randn(1, 1, 4, 5, dtype=torch.float64)
    i, j = 2, 1
    changed = x.clone()
    changed[0, 0, i, j] += 1.0
    with torch.no_grad():
        moved = (layer(changed) - layer(x)).abs().reshape(4, 2, 4, 5).amax(dim=1) > 0
    rows, columns = torch.meshgrid(torch.arange(4), torch.arange(5), indexing="ij")
    expected = [(rows >= i) & (columns >= j), (rows >= i) & (columns <= j),
                (rows <= i) & (columns >= j), (rows <= i) & (columns <= j)]
    for direction in range(4):
        assert torch.equal(moved[direction], expected[direction]), direction


def test_float32_agrees_with_float64():
    torch.manual_seed(0)
    layer = MDLSTM(2, 4)
    x = torch.randn(2, 2, 5, 8)
    expected = layer.double()(x.double())
    assert torch.allclose(layer.float()(x), expected.float(), atol=1e-5)
