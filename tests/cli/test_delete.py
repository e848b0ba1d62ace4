"""``bbo delete NAME``: the study and its trials go; other studies stay; at no terminal it
needs --yes."""

from __future__ import annotations

import bbo


def test_delete_removes_the_study_and_only_it(tmp_path, invoke):
    url = f"sqlite:///{tmp_path / 's.db'}"
    space = bbo.Space({"x": bbo.Float(0.0, 1.0)})
    s = bbo.Study(space, strategy="random", seed=0, storage=url, name="old")
    for _ in range(3):
        s.tell(s.ask(), 1.0)
    bbo.Study(space, strategy="random", storage=url, name="keep")
    refused = invoke("delete", "old", "--storage", url)  # no terminal, no --yes
    assert refused.exit_code == 2
    assert "deleting study 'old' (3 trials) needs --yes" in refused.output
    done = invoke("delete", "old", "--storage", url, "--yes")
    assert done.exit_code == 0, done.output
    assert f"deleted study 'old' (3 trials) from {url}" in done.stdout
    assert [r.name for r in s.storage.list_studies()] == ["keep"]
    missing = invoke("delete", "old", "--storage", url, "--yes")
    assert missing.exit_code == 2
    assert "no study 'old'" in missing.output and "'keep'" in missing.output
