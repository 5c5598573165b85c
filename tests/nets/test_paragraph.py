"""The paragraph reader: its windows are what the line model reads, and its attention and end
decision learn where a block's lines are and how many there are."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from scriptio.nets.crnn import CRNN
from scriptio.nets.paragraph import ink_tensor
from scriptio.text.codec import Alphabet
from scriptio.train.paragraph_task import ParagraphTask, attention_pull_loss
from tests.paragraphs import PITCH, TINY, bars_block, tiny_net, trained_tiny_reader

def test_the_window_on_a_line_is_close_to_what_the_line_model_reads():
    torch.manual_seed(0)
    line_model = CRNN(TINY).eval()
    net = tiny_net()
    net.load_line_model(line_model)
    net.eval()
    line = (torch.rand(1, 1, 48, 120) > 0.8).float()
    with torch.no_grad():
        windows = net.encode(line)                      # the line alone: window 1 covers it exactly
        features = line_model.cnn(line)
        expected = features.reshape(1, -1, features.shape[3])[0].t()
    assert windows.shape == (3, 120 // 8, 8 * 3)
    # not identical: the line model's convolutions padded every feature map with zeros, the
    # block's see the features of the blank paper around the line
    distance = [float((window - expected).norm() / expected.norm()) for window in windows]
    assert distance[1] < 0.3 and distance[1] < 0.6 * min(distance[0], distance[2])


def test_row_centres_are_the_middle_of_each_window():
    net = tiny_net()
    image = torch.zeros(1, 1, 100, 40)
    image[0, 0, 60:64, :] = 1.0                         # a stroke at y = 60..63
    with torch.no_grad():
        windows = net.encode(image)
    centres = net.row_centres(windows.shape[0])
    assert centres[0] == 8.0 and centres[1] - centres[0] == 16.0
    # the window whose centre is nearest the stroke holds it (its max is among the highest)
    energy = windows.abs().amax(dim=(1, 2))
    nearest = int(torch.argmin((centres - 61.5).abs()))
    assert energy[nearest] >= energy.median()


def test_attention_pull_is_smallest_for_attention_on_the_line():
    rows = 10
    on = torch.zeros(1, rows)
    on[0, 3] = 1.0                                      # row 3 is centred at 3 * 16 + 8 = 56
    off = torch.zeros(1, rows)
    off[0, 6] = 1.0
    assert float(attention_pull_loss(on, [56.0], 16)) < 1e-6
    assert float(attention_pull_loss(off, [56.0], 16)) > 10.0
    between = torch.zeros(1, rows)
    between[0, 3:5] = 0.5                               # centre 64 lies half way between rows 3 and 4
    assert float(attention_pull_loss(between, [64.0], 16)) == pytest.approx(np.log(2), rel=1e-4)


@pytest.fixture
def one_thread():
    """Hundreds of small steps: a second thread only waits (and spins on a loaded machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_attention_and_end_decision_learn_where_and_how_many_lines(one_thread):
    net = trained_tiny_reader()
    for lines in (1, 2, 3):
        block = bars_block(lines, np.random.default_rng(100 + lines))
        with torch.no_grad():
            output = net(torch.from_numpy(1.0 - block.image / 255.0).float()[None, None])
        assert output.attention.shape[0] == lines
        found = (output.attention @ net.row_centres(output.attention.shape[1])).numpy()
        np.testing.assert_allclose(found, block.centres, atol=PITCH / 2)


def test_a_frozen_line_model_learns_nothing_from_ctc(one_thread):
    net = tiny_net()
    net.freeze("reader")
    before = {name: p.clone() for name, p in net.reader.named_parameters()}
    task = ParagraphTask(net, Alphabet(list("abcd")), [bars_block(2, np.random.default_rng(1))], [], [],
                         lambda *a: None, PITCH)
    loss, stats = task.loss(net, task.next_batch(torch.Generator(), 1.0))
    loss.backward()
    assert stats["ctc"] == 0.0 and stats["pull"] > 0.0
    assert all(p.grad is None for p in net.reader.parameters())
    assert all(torch.equal(p, before[name]) for name, p in net.reader.named_parameters())


def always_stopping(net):
    """The reader with its end decision stuck at 'stop' (sigmoid ~ 1 at every step)."""
    import copy

    net = copy.deepcopy(net)
    with torch.no_grad():
        net.stop[-1].bias.fill_(50.0)
    return net


def test_ink_left_below_overrules_the_end_decision_until_the_last_ink():
    block = bars_block(4, np.random.default_rng(2))
    image = torch.from_numpy(1.0 - block.image / 255.0).float()[None, None]
    net = always_stopping(trained_tiny_reader())
    with torch.no_grad():
        assert net(image, read=False).attention.shape[0] == 0          # the decision alone reads nothing
        bottom = block.centres[-1] + 7                                   # the last bar's last row
        output = net(image, read=False, ink_bottom=bottom)
    centres = net.line_centres(output.attention).numpy()
    # one step per line, each a pitch on, until the last line read is within half a pitch of the ink's end
    assert len(centres) == 4
    np.testing.assert_allclose(centres, block.centres, atol=PITCH / 2)
    assert output.read_on.tolist() == [True] * 4


def test_reading_on_stops_where_the_attention_no_longer_moves_on():
    from scriptio.nets.paragraph import moves_on

    assert moves_on(0.25 * PITCH, PITCH) and not moves_on(0.24 * PITCH, PITCH)
    block = bars_block(2, np.random.default_rng(4))
    image = torch.from_numpy(1.0 - block.image / 255.0).float()[None, None]
    net = always_stopping(trained_tiny_reader())
    with torch.no_grad():   # ink claimed far below a block that has no rows there: no runaway reading
        output = net(image, read=False, ink_bottom=10 * block.image.shape[0])
    centres = net.line_centres(output.attention).numpy()
    assert 2 <= len(centres) < net.config.max_lines
    assert np.all(np.diff(centres) >= 0.25 * PITCH)


def test_a_block_read_as_no_lines_reports_no_steps_of_any_kind():
    net = always_stopping(trained_tiny_reader())
    image = torch.zeros(1, 1, 80, 120)
    with torch.no_grad():
        output = net(image, read=False, ink_bottom=None)
    assert output.attention.shape[0] == output.stop_logits.shape[0] == output.read_on.shape[0] == 0


def test_distances_over_written_rows_skip_a_blank_band():
    net = tiny_net()
    assert net.config.skip_blank_rows
    keys = torch.zeros(8, net.config.attention)
    with torch.no_grad():
        # as it starts: every row counts (nearly) fully, the plain row centres
        assert torch.allclose(net.written_centres(net.written(keys)[:, 0]), net.row_centres(8), rtol=0.02)
        keys[3:6, 0] = 1.0                             # rows 3-5 look blank
        net.written.weight[0, 0] = -100.0
        distances = net.written_centres(net.written(keys)[:, 0]).tolist()
    stride = net.stride
    assert distances[3] == pytest.approx(distances[5], abs=0.01)
    assert distances[3] == pytest.approx(distances[2] + stride / 2, rel=0.03)
    # the first written row after the band is one row after the last one before it
    assert distances[6] - distances[2] == pytest.approx(stride, rel=0.03)


def test_readers_saved_before_blank_rows_counted_keep_plain_distances():
    from scriptio.nets.paragraph import ParagraphConfig, ParagraphNet
    saved = ParagraphConfig().to_json()
    del saved["skip_blank_rows"]
    old = ParagraphNet(ParagraphConfig.from_json(saved))
    assert not old.config.skip_blank_rows and not hasattr(old, "written")


def test_rows_are_taught_written_near_a_line_and_blank_far_from_every_line():
    from scriptio.train.paragraph_task import written_rows_loss
    stride, pitch = 16, 40.0
    centres = [30.0, 190.0]                 # rows are centred at 8, 24, 40, ...
    rows = np.arange(14) * stride + stride / 2
    nearest = np.abs(rows[:, None] - np.asarray(centres)[None]).min(1)
    right = torch.tensor(np.where(nearest <= 20, 8.0, -8.0), dtype=torch.float32)
    assert float(written_rows_loss(right, centres, stride, pitch)) < 1e-3
    assert float(written_rows_loss(-right, centres, stride, pitch)) > 7.0
    # rows between half a pitch and 0.8 pitch from the nearest line (22 or 26 px away: rows 0, 3,
    # 10 and 13) are not taught
    untaught = (nearest > 20) & (nearest < 32)
    assert np.flatnonzero(untaught).tolist() == [0, 3, 10, 13]
    changed = right.clone()
    changed[torch.from_numpy(untaught)] *= -1
    assert float(written_rows_loss(changed, centres, stride, pitch)) == pytest.approx(
        float(written_rows_loss(right, centres, stride, pitch)))


def test_a_reader_trained_on_respaced_blocks_reads_on_past_a_blank_band(one_thread):
    from scriptio.image.enhance import stretch_contrast
    from scriptio.train.paragraph_augment import open_gaps

    # both parts count: with plain distances the same training attends into the band and reads
    # three lines; counting written rows without re-spaced blocks to learn from, it reads the
    # line after the band half a pitch high; with neither, it stops at the band
    net = trained_tiny_reader(respace=True, most_lines=4, steps=200)
    misses = []
    for seed in range(4):
        block = bars_block(4, np.random.default_rng(100 + seed))
        image, centres = open_gaps(stretch_contrast(block.image), block.centres, {1: int(2 * PITCH)})
        with torch.no_grad():
            output = net(ink_tensor(image), read=False)
        found = net.line_centres(output.attention).numpy()
        misses.append(len(found) != 4 or np.abs(found - np.asarray(centres)).max() > 0.35 * PITCH)
    assert sum(misses) <= 1, misses
