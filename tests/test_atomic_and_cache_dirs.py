"""Atomic writes leave the old file intact on failure; the cache folder honours its override."""

from __future__ import annotations

import pytest

from flopcast.atomic import atomic_path, write_text_atomic
from flopcast.userdirs import CACHE_ENV, cache_dir, cache_root


def test_a_failed_write_leaves_the_previous_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "summary.json"
    write_text_atomic(target, "old\n")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half of the new", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_a_completed_write_replaces_the_file(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    write_text_atomic(target, "one\n")
    write_text_atomic(target, "two\n")
    assert target.read_text(encoding="utf-8") == "two\n"


def test_the_cache_folder_follows_the_environment_override(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    assert cache_root() == tmp_path / "cache"
    assert cache_dir("price_performance") == tmp_path / "cache" / "price_performance"
    assert cache_dir("price_performance").is_dir()


def test_without_the_override_the_cache_is_the_platform_user_cache(monkeypatch):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    assert cache_root().name == "flopcast"
