"""The stage cache stores data, never pickles: a crafted entry cannot run code."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pandas as pd

from ci_eval.caching import StageCache, stage_key
from ci_eval.quality import QualityResult

KEY = stage_key("score", {"upstream": "x"})


class Exploit:
    """Unpickling this writes a file: the proof that a pickle was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "pwned"))


def test_a_crafted_pickle_in_the_cache_is_never_loaded(tmp_path, caplog):
    marker = tmp_path / "marker"
    cache = StageCache(tmp_path / ".cache")
    (tmp_path / ".cache/score").mkdir(parents=True)
    planted = [tmp_path / f".cache/score/{KEY}.pickle", tmp_path / ".cache/score/old.pickle"]
    for path in planted:
        path.write_bytes(pickle.dumps(Exploit(marker)))
    entry = tmp_path / f".cache/score/{KEY}"
    entry.mkdir()
    (entry / "value.pickle").write_bytes(pickle.dumps(Exploit(marker)))
    assert cache.load("score", KEY) is None
    assert not marker.exists()
    assert not any(p.exists() for p in planted)
    assert "holds data only" in caplog.text


def test_an_entry_naming_a_class_outside_the_cache_list_is_refused(tmp_path, caplog):
    cache = StageCache(tmp_path)
    entry = tmp_path / "score" / KEY
    entry.mkdir(parents=True)
    crafted = {"value": {"model": "os.system", "fields": {"str": "echo pwned"}}, "frames": []}
    (entry / "value.json").write_text(json.dumps(crafted), encoding="utf-8")
    assert cache.load("score", KEY) is None
    assert "refused" in caplog.text and "os.system" in caplog.text
    outside = {"value": {"frame": 0, "object": []}, "frames": [["../../x.parquet", None, None]]}
    (entry / "value.json").write_text(json.dumps(outside), encoding="utf-8")
    assert cache.load("score", KEY) is None
    assert "outside the entry" in caplog.text


def test_stage_values_round_trip_as_data(tmp_path):
    cache = StageCache(tmp_path)
    frame = pd.DataFrame({"x": [1.5, None], "code": pd.Series(["a", "b"], dtype=object)})
    result = QualityResult(frame, frame[["x"]], pd.Series(["", "speeder"], dtype=object), frame)
    value = {("youth", "2024"): result, "waves": ["2021", "2024"], "n": (3, None)}
    cache.save("quality", KEY, value)
    assert not list(tmp_path.rglob("*.pickle"))
    back = cache.load("quality", KEY)
    got = back[("youth", "2024")]
    pd.testing.assert_frame_equal(got.clean, frame)
    pd.testing.assert_series_equal(got.excluded_by, result.excluded_by)
    assert back["waves"] == ["2021", "2024"] and back["n"] == (3, None)


def test_a_value_that_is_not_data_is_not_cached(tmp_path, caplog):
    cache = StageCache(tmp_path)
    cache.save("score", KEY, {"f": object()})
    assert cache.load("score", KEY) is None
    assert "cannot be cached as data" in caplog.text
    cache.save("score", KEY, pd.DataFrame({"code": pd.Series(["a", 1], dtype=object)}))
    assert cache.load("score", KEY) is None
    assert "not Parquet" in caplog.text
