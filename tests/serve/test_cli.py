"""`scriptio serve` builds the app from its options and hands it to uvicorn (faked here)."""
from __future__ import annotations

from typer.testing import CliRunner

from scriptio.cli import app

runner = CliRunner()


def test_serve_passes_its_options_to_the_app(monkeypatch, tmp_path, glyph_model_path):
    import uvicorn

    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda application, **options: started.update(app=application, **options))
    db = f"sqlite:///{tmp_path / 'jobs.db'}"
    result = runner.invoke(app, ["serve", "--port", "8123", "--db", db, "--model", f"glyphs={glyph_model_path}",
                                 "--default-model", "glyphs", "--segmenter", "classic", "--max-upload-mb", "1",
                                 "--queue-size", "3", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert started["host"] == "127.0.0.1" and started["port"] == 8123
    state = started["app"].state
    assert state.settings.db_url == db and state.settings.max_upload_bytes == 1024 * 1024
    assert state.settings.queue_size == 3 and state.settings.workers == 2 and state.settings.cors_origins == ()
    assert state.catalog.default == "glyphs" and state.catalog.segmenter_name == "classic"
    assert not any("CORS" in str(layer.cls) for layer in started["app"].user_middleware)


def test_serve_refuses_a_missing_model(tmp_path):
    result = runner.invoke(app, ["serve", "--db", f"sqlite:///{tmp_path / 'jobs.db'}",
                                 "--model", str(tmp_path / "none.safetensors")])
    assert result.exit_code == 2 and "no such model file" in result.output
