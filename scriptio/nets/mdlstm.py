"""Two-dimensional LSTM (Graves & Schmidhuber 2009), the recurrent layer of the MDLSTM line recognizers.

A cell at (i, j) sees its input and the states of the cells above and to the left of it, so a
scan from the top-left corner carries context from the whole upper-left quadrant. Four scans,
one from each corner, give every pixel context from the whole image.

Speed comes from batching, so that the only Python loop is over the H + W - 1 anti-diagonals
(the cells with i + j = d need nothing but diagonal d - 1):

* directions: a scan from another corner is the top-left scan of the image flipped along H
  and/or W, so all directions run as one batch, with per-direction weights in batched matmuls;
* pixels: the input projection of every pixel is one batched matmul before the scan;
* diagonals: the grid is skewed (row i shifted right by i) and stored diagonal-major, so
  diagonal d is one contiguous (directions, rows, features) block, and a step is two batched
  matmuls plus in-place gate arithmetic on that block.

With a few dozen pixels per diagonal the cost is the number of tensor operations per step, not
arithmetic. So the scan is a custom autograd Function: preallocated buffers, views built once,
in-place operations with out=, and a hand-written backward of about twice the forward's
operations per step; and small scans run on one thread, since splitting such small operations
across threads costs more in synchronization than it saves.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn
from torch.autograd.function import FunctionCtx, once_differentiable

CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
GATES = 5  # input, forget from above, forget from the left, output, candidate
PARALLEL_GRAIN = 32768  # at::internal::GRAIN_SIZE: PyTorch splits elementwise operations above this size


def flip_to_top_left(x: torch.Tensor, direction: int) -> torch.Tensor:
    """Flip the last two axes so that the scan of `direction` becomes a top-left scan (an involution)."""
    dims = {0: (), 1: (-1,), 2: (-2,), 3: (-2, -1)}[direction]
    return x.flip(dims) if dims else x


def pixel_view(skewed: torch.Tensor, batch: int, height: int, width: int, first_diagonal: int = 0,
               first_row: int = 0) -> torch.Tensor:
    """The (K, N, H, W, F) pixel grid inside a contiguous skewed buffer (diagonals, K, rows, F).

    Pixel (i, j) of image n lives on diagonal first_diagonal + i + j, row first_row + n * (H + 1)
    + 1 + i: each image has a dummy row 0 whose state stays zero, the "row above" of its first
    row. The mapping is linear in (n, i, j), so the grid is a strided view, not a copy.
    """
    diagonal_stride, k_stride, row_stride, feature_stride = skewed.stride()
    return skewed.as_strided(
        (skewed.shape[1], batch, height, width, skewed.shape[3]),
        (k_stride, (height + 1) * row_stride, diagonal_stride + row_stride, diagonal_stride, feature_stride),
        skewed.storage_offset() + first_diagonal * diagonal_stride + (first_row + 1) * row_stride)


def unflipped_channels(grid: torch.Tensor) -> torch.Tensor:
    """(K, N, H, W, F) per-direction grids -> (N, K * F, H, W) in image orientation, a fresh tensor."""
    return torch.cat([flip_to_top_left(grid[k].permute(0, 3, 1, 2), k) for k in range(grid.shape[0])], dim=1)


def close_gates_outside_the_image(activations: torch.Tensor, hidden: int, height: int, width: int) -> None:
    """Set the sigmoid gates' pre-activations to -inf on dummy rows and right of the image on the skewed grid.

    Closed gates make states exactly zero, and their zero slopes stop gradients. Dummy rows must
    be zero: they are what each image's first row reads from above (the row before them belongs to
    another image). Cells right of the image are never read by it, but open, over the last H
    diagonals their cell states could grow like binomial coefficients to inf, and 0 * inf is NaN
    in the backward pass. Cells left of the image need nothing: their input is zero (the bias
    comes through the input's constant channel) and so are their neighbours, so they stay zero.
    """
    diagonals, directions, rows, gates = activations.shape
    grid = activations.view(diagonals, directions, rows // (height + 1), height + 1, gates)[..., : 4 * hidden]
    grid[:, :, :, 0].fill_(-math.inf)
    for i in range(height - 1):  # row i is done after diagonal i + width - 1; the last row finishes with the scan
        grid[i + width:, :, :, 1 + i].fill_(-math.inf)


@contextmanager
def threads_for_steps(step_elements: int) -> Iterator[None]:
    """One thread for a scan whose per-diagonal operations are small (a few microseconds each).

    Below PyTorch's own threshold for splitting elementwise work, extra threads only add a
    synchronization per operation (MKL still splits the small matmuls), and on a busy machine each
    one waits for a descheduled thread (several times slower on 2 shared cores). Large batches keep the
    caller's thread count.
    """
    threads = torch.get_num_threads()
    if step_elements >= PARALLEL_GRAIN or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class TopLeftScan(torch.autograd.Function):
    """The batched top-left wavefront scan over all directions; see MDLSTM for the weights' layout.

    Buffers are diagonal-major. Activations: (D, K, rows, 5 * hidden) with rows = N * (H + 1).
    States: (D + 1, K, rows + 1, hidden), where diagonal d's states are at [d + 1] ([0] is the
    zero state before the scan) and buffer row r + 1 holds grid row r, so that for the rows of
    one step the states above are buffer rows [0, rows) and those on the left [1, rows].
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: torch.Tensor, input_weight: torch.Tensor, input_bias: torch.Tensor,
                recurrent_weight: torch.Tensor) -> torch.Tensor:
        directions, in_channels, gates = input_weight.shape
        hidden = gates // GATES
        batch, _, height, width = x.shape
        diagonals, rows = height + width - 1, batch * (height + 1)

        # Skewed inputs with a constant 1 channel for the bias, zero on dummy rows and off the image.
        inputs = x.new_zeros(diagonals, directions, rows, in_channels + 1)
        pixels = pixel_view(inputs, batch, height, width)
        pixels[..., :in_channels].copy_(
            torch.stack([flip_to_top_left(x, k) for k in range(directions)]).permute(0, 1, 3, 4, 2))
        pixels[..., in_channels].fill_(1.0)
        # The input projection of all pixels at once; the scan then adds the recurrent terms in place
        # and turns each diagonal's pre-activations into activations.
        weights = torch.cat([input_weight, input_bias], dim=1)
        activations = torch.matmul(inputs, weights)
        close_gates_outside_the_image(activations, hidden, height, width)

        hiddens = x.new_empty(diagonals + 1, directions, rows + 1, hidden)
        cells = x.new_empty(diagonals + 1, directions, rows + 1, hidden)
        cell_tanhs = x.new_empty(diagonals, directions, rows, hidden)
        for states in (hiddens, cells):  # the scan writes everything else
            states[0].zero_()
            states[:, :, 0].zero_()
        up_weight, left_weight = recurrent_weight[:, :hidden], recurrent_weight[:, hidden:]
        steps = zip(activations.unbind(0), *(activations.split(hidden, dim=-1)[g].unbind(0) for g in range(GATES)),
                    activations[..., : 4 * hidden].unbind(0), activations[..., 4 * hidden:].unbind(0),
                    hiddens[:, :, :-1].unbind(0), hiddens[:, :, 1:].unbind(0), hiddens[1:, :, 1:].unbind(0),
                    cells[:, :, :-1].unbind(0), cells[:, :, 1:].unbind(0), cells[1:, :, 1:].unbind(0),
                    cell_tanhs.unbind(0))
        with threads_for_steps(directions * rows * gates):
            for (pre, input_gate, forget_up, forget_left, output_gate, candidate, sigmoids, candidate_pre,
                 h_up, h_left, h_new, c_up, c_left, c_new, c_tanh) in steps:
                pre.baddbmm_(h_up, up_weight).baddbmm_(h_left, left_weight)
                sigmoids.sigmoid_()
                candidate_pre.tanh_()
                torch.mul(input_gate, candidate, out=c_new)
                c_new.addcmul_(forget_up, c_up).addcmul_(forget_left, c_left)
                torch.mul(output_gate, torch.tanh(c_new, out=c_tanh), out=h_new)

        ctx.save_for_backward(input_weight, recurrent_weight)
        ctx.buffers = (inputs, weights, activations, hiddens, cells, cell_tanhs)
        return unflipped_channels(pixel_view(hiddens, batch, height, width, first_diagonal=1, first_row=1))

    @staticmethod
    @once_differentiable
    def backward(ctx: FunctionCtx, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        input_weight, recurrent_weight = ctx.saved_tensors
        inputs, weights, activations, hiddens, cells, cell_tanhs = ctx.buffers
        diagonals, directions, rows, gates = activations.shape
        hidden = gates // GATES
        batch, _, height, width = grad_output.shape

        # Gradients with respect to the state buffers, laid out like them.
        grad_hiddens = torch.zeros_like(hiddens)
        grad_cells = torch.zeros_like(cells)
        per_direction = grad_output.reshape(batch, directions, hidden, height, width)
        pixel_view(grad_hiddens, batch, height, width, first_diagonal=1, first_row=1).copy_(
            torch.stack([flip_to_top_left(per_direction[:, k], k) for k in range(directions)]).permute(0, 1, 3, 4, 2))
        # Gradients of the pre-activations, a separate buffer so that backward can run again (retain_graph).
        grad_pre = torch.empty_like(activations)

        scratch = activations.new_empty(directions, rows, hidden)
        upstream = activations.new_empty(directions, rows, 4 * hidden)
        sigmoid_slopes = activations.new_empty(directions, rows, 4 * hidden)
        upstream_input, upstream_up, upstream_left, upstream_output = upstream.split(hidden, dim=-1)
        recurrent_weight_t = recurrent_weight.transpose(1, 2)
        grad_recurrent_in = activations.new_empty(directions, rows, 2 * hidden)
        grad_from_up, grad_from_left = grad_recurrent_in.split(hidden, dim=-1)
        steps = zip(*(activations.split(hidden, dim=-1)[g].unbind(0) for g in range(GATES)),
                    activations[..., : 4 * hidden].unbind(0), cell_tanhs.unbind(0),
                    grad_pre.unbind(0), grad_pre[..., : 4 * hidden].unbind(0), grad_pre[..., 4 * hidden:].unbind(0),
                    grad_hiddens[1:, :, 1:].unbind(0), grad_cells[1:, :, 1:].unbind(0),
                    cells[:, :, :-1].unbind(0), cells[:, :, 1:].unbind(0),
                    grad_hiddens[:, :, :-1].unbind(0), grad_hiddens[:, :, 1:].unbind(0),
                    grad_cells[:, :, :-1].unbind(0), grad_cells[:, :, 1:].unbind(0))
        with threads_for_steps(directions * rows * gates):
            for (input_gate, forget_up, forget_left, output_gate, candidate, sigmoids, c_tanh, grad_step,
                 grad_sigmoids_pre, grad_candidate_pre, grad_h, grad_c, c_up, c_left,
                 grad_h_up, grad_h_left, grad_c_up, grad_c_left) in reversed(list(steps)):
                # grad_c += grad_h * o * (1 - tanh(c)^2): everything that reaches the cell.
                torch.mul(c_tanh, c_tanh, out=scratch)
                torch.addcmul(output_gate, output_gate, scratch, value=-1, out=scratch)
                grad_c.addcmul_(grad_h, scratch)
                grad_c_up.addcmul_(grad_c, forget_up)
                grad_c_left.addcmul_(grad_c, forget_left)
                # What each sigmoid gate's output received, then through the sigmoid slopes s (1 - s).
                torch.mul(grad_c, candidate, out=upstream_input)
                torch.mul(grad_c, c_up, out=upstream_up)
                torch.mul(grad_c, c_left, out=upstream_left)
                torch.mul(grad_h, c_tanh, out=upstream_output)
                torch.addcmul(sigmoids, sigmoids, sigmoids, value=-1, out=sigmoid_slopes)
                torch.mul(sigmoid_slopes, upstream, out=grad_sigmoids_pre)
                # The candidate: grad_c * i * (1 - g^2).
                torch.mul(candidate, candidate, out=scratch)
                torch.addcmul(input_gate, input_gate, scratch, value=-1, out=scratch)
                torch.mul(scratch, grad_c, out=grad_candidate_pre)
                # To the states above and on the left (one contiguous matmul: the fast batched path).
                torch.bmm(grad_step, recurrent_weight_t, out=grad_recurrent_in)
                grad_h_up.add_(grad_from_up)
                grad_h_left.add_(grad_from_left)

        # Weight gradients: one matmul per diagonal and direction, then a sum over diagonals (closed
        # cells have zero gradients); several times faster than einsum, which would permute grad_pre.
        def summed_over_cells(states: torch.Tensor) -> torch.Tensor:
            return torch.matmul(states.transpose(-1, -2), grad_pre).sum(dim=0)

        grad_recurrent = torch.cat([summed_over_cells(hiddens[:-1, :, :-1]), summed_over_cells(hiddens[:-1, :, 1:])],
                                   dim=1)
        grad_weights = summed_over_cells(inputs)
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_inputs = torch.matmul(grad_pre, input_weight.transpose(1, 2))
            per_direction_x = unflipped_channels(pixel_view(grad_inputs, batch, height, width))
            grad_x = per_direction_x.view(batch, directions, -1, height, width).sum(dim=1)
        return grad_x, grad_weights[:, :-1], grad_weights[:, -1:], grad_recurrent


class MDLSTM(nn.Module):
    """2-D LSTM over `directions` corner scans (1 to 4, in the order of CORNERS).

    Maps (N, C, H, W) to (N, hidden * directions, H, W): the directions' hidden states are
    concatenated along channels, direction-major (out_channels = hidden * directions), which keeps
    each scan's evidence separate for the layer above instead of summing it away.

    Each cell has one forget gate per dimension, c = i * g + f_up * c_up + f_left * c_left, so
    that it can learn to keep the context from above and the context from the left separately.
    """

    def __init__(self, in_channels: int, hidden: int, directions: int = 4) -> None:
        super().__init__()
        if not 1 <= directions <= len(CORNERS):
            raise ValueError(f"directions must be 1 to {len(CORNERS)}, got {directions}")
        self.in_channels, self.hidden, self.directions = in_channels, hidden, directions
        self.out_channels = hidden * directions
        gates = GATES * hidden
        # Gate order along the last axis: input, forget-up, forget-left, output, candidate.
        self.input_weight = nn.Parameter(torch.empty(directions, in_channels, gates))
        self.input_bias = nn.Parameter(torch.empty(directions, 1, gates))
        # Rows 0..hidden-1 multiply the hidden state from above, rows hidden..2*hidden-1 the one from the left.
        self.recurrent_weight = nn.Parameter(torch.empty(directions, 2 * hidden, gates))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """nn.LSTM's initialization; zero-mean forget biases give f_up + f_left about 1, a stable start."""
        bound = 1.0 / math.sqrt(self.hidden)
        for parameter in self.parameters():
            nn.init.uniform_(parameter, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected (N, {self.in_channels}, H, W), got {tuple(x.shape)}")
        return TopLeftScan.apply(x, self.input_weight, self.input_bias, self.recurrent_weight)

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, hidden={self.hidden}, directions={self.directions}"
