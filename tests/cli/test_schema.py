"""`bbo schema` prints the JSON schema of study.yaml."""

from __future__ import annotations

import json


def test_schema_is_json_with_described_fields(invoke):
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    props = schema["properties"]
    keys = {"name", "space", "objective", "strategy", "budget", "workers", "seed", "storage"}
    assert keys <= set(props)
    assert set(schema["required"]) == {"name", "space", "objective", "budget"}
    assert schema["additionalProperties"] is False
    assert "finished trials" in props["budget"]["description"]
    assert props["budget"]["minimum"] == 1
    objective = schema["$defs"]["ObjectiveConfig"]["properties"]
    assert {"command", "python", "direction", "timeout", "env", "cwd"} <= set(objective)
    assert all("description" in objective[k] for k in ("command", "python", "cwd"))
