"""Model cards are written from what the model file records, oldest training stage first."""
from __future__ import annotations

from typer.testing import CliRunner

from scriptio.cli import app
from scriptio.models.card import model_card
from scriptio.models.store import read_model_file, save_model


def test_card_lists_the_stages_oldest_first_with_their_figures(tiny_model_path, tmp_path):
    state, metadata = read_model_file(tiny_model_path)
    metadata = {**metadata, "val_cer_measured": {"hooker": 0.198, "command": "python benchmarks/recognition.py"},
                "training": {"recipe": "second: fine-tune", "sources": [{"name": "hooker", "lines": 10, "weight": 2.0}]},
                "fine_tuned_from": {"model": "first.safetensors", "val_cer": {"hooker": 0.25},
                                    "training": {"recipe": "first: from scratch",
                                                 "config": {"device": "cuda", "lr": 0.001}}}}
    path = tmp_path / "card.safetensors"
    save_model(path, state, metadata)
    card = model_card(path)
    rows = [line for line in card.splitlines() if line.startswith("| 1 |") or line.startswith("| 2 |")]
    assert len(rows) == 2
    assert "random initialization" in rows[0] and "first: from scratch" in rows[0] and "hooker 25.00%" in rows[0]
    assert "device cuda, lr 0.001" in rows[0]
    assert "first.safetensors" in rows[1] and "second: fine-tune" in rows[1] and "hooker (10, ×2.0)" in rows[1]
    assert "| val_cer_measured | 19.80% |" in card and "python benchmarks/recognition.py" in card


def test_card_command_writes_a_file_and_never_tracebacks(tiny_model_path, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["model", "card", str(tiny_model_path), "--out", str(tmp_path / "card.md")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "card.md").read_text(encoding="utf-8").startswith("# Model card: tiny.safetensors")
    missing = runner.invoke(app, ["model", "card", str(tmp_path / "none.safetensors")])
    assert missing.exit_code == 2 and "no such model file" in missing.output


def test_a_layout_model_card_says_what_it_reads_and_shows_counts_as_counts(tmp_path):
    from scriptio.models.layout_model import LayoutModel
    from scriptio.nets.unet import UNet, UNetConfig

    model = LayoutModel(UNet(UNetConfig(channels=(4, 8), outputs=4)), ("baseline", "core", "line", "region"))
    path = tmp_path / "layout.safetensors"
    model.save(path, extra={"dev": {"f1": 0.9, "unmatched_per_page": 1.5},
                            "training": {"task": "layout", "pages": 12, "sets": ["poilus"]}})
    card = model_card(path)
    assert "reads pages scaled to 1024 px" in card and "baseline, core, line, region" in card
    assert "alphabet" not in card
    assert "| dev | 90.00% | 1.5 |" in card
    assert "12 pages of poilus" in card


def test_model_card_verb_gives_the_bundled_models_data_alphabet_recipe_cer_and_licences():
    result = CliRunner().invoke(app, ["model-card", "default"])
    assert result.exit_code == 0, result.output
    card = result.output
    assert card == model_card("default")  # an alias of `scriptio model card`, not a copy
    sections = ["## Data", "## Alphabet", "## Recipe", "## Validation CER per set", "## Licence"]
    assert all(f"\n{section}\n" in card for section in sections)
    section = {name: card.split(f"\n{name}\n", 1)[1].split("\n## ", 1)[0] for name in sections}
    assert "hooker (5131" in section["## Data"] and "characters: ` !" in section["## Alphabet"]
    assert "fine-tune" in section["## Recipe"]
    assert "| val_cer_measured | 19.84% | 10.44% | 8.70% |" in section["## Validation CER per set"]
    assert "training data hooker: CC-BY-SA 4.0" in section["## Licence"]
    assert "training data copiste: CC-BY 4.0" in section["## Licence"]


def test_a_card_shows_a_recorded_licence_and_says_what_is_not_recorded(tiny_model_path, tmp_path):
    state, metadata = read_model_file(tiny_model_path)
    path = tmp_path / "licensed.safetensors"
    save_model(path, state, {**metadata, "licence": "CC-BY 4.0", "training": {"sources": [{"name": "mine", "lines": 3}]}})
    card = model_card(path)
    assert "- weights: CC-BY 4.0" in card and "training data mine: licence not known to scriptio" in card
    assert "The model file records no recipe." in card
    assert "The model file records no measurement on validation data." in model_card(tiny_model_path)
