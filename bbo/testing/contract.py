"""The strategy contract: what every strategy registered by name must do through a Study.

``check_strategy(name, options)`` runs a short seeded study on a mixed space (float, log
float, int, categorical) and raises ``AssertionError`` naming the broken rule:

1. every suggestion is a valid configuration of the space and names its ``source``;
2. ``ask(n)`` returns ``n`` distinct configurations, distinct from the stored trials too;
3. failed and infeasible tells are accepted and the next asks still work;
4. the same seed and the same tells give the same suggestions;
5. the strategy state survives storage: a study reopened from SQLite suggests exactly what
   the uninterrupted study suggests next (``state_dict`` is JSON-serializable).

Used by ``tests/strategies/test_contract.py`` for every built-in strategy; a user's own
strategy registered the same way can be checked with it too.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any


def _space() -> Any:
    import bbo

    return bbo.Space(
        {
            "x": bbo.Float(-2.0, 3.0),
            "lr": bbo.Float(1e-4, 1e-1, log=True),
            "k": bbo.Int(1, 6),
            "act": bbo.Categorical(["relu", "tanh", "gelu"]),
        }
    )


def objective(p: dict[str, Any]) -> float:
    """A smooth mixed test function, minimum 0 at ``x=1, lr=1e-2, k=3, act='tanh'``."""
    return (
        (p["x"] - 1.0) ** 2
        + (math.log10(p["lr"]) + 2.0) ** 2
        + 0.3 * (p["k"] - 3) ** 2
        + (0.0 if p["act"] == "tanh" else 0.5)
    )


def _drive(study: Any, rounds: int) -> list[dict[str, Any]]:
    """``rounds`` asks of one or two trials; the 3rd trial fails, the 5th is infeasible."""
    asked: list[dict[str, Any]] = []
    for r in range(rounds):
        batch = study.ask(2) if r % 3 == 2 else [study.ask()]
        for t in batch:
            asked.append(dict(t.params))
            if t.id == 2:
                study.tell(t, failed=True)
            elif t.id == 4:
                study.tell(t, infeasible=True)
            else:
                study.tell(t, objective(t.params))
    return asked


def check_strategy(name: str, options: dict[str, Any] | None = None, rounds: int = 7) -> None:
    """Run the contract on strategy ``name`` (see the module docstring)."""
    import bbo
    from bbo.space import params_key

    space = _space()
    opts = dict(options or {})

    def fresh(**kw: Any) -> Any:
        return bbo.Study(space, strategy=name, seed=3, strategy_options=opts, **kw)

    a = fresh()
    asked = _drive(a, rounds)
    trials = a.trials
    for t in trials:
        assert space.contains(t.params), f"{name}: invalid configuration {t.params}"
        source = t.attrs.get("source")
        assert isinstance(source, str) and source, f"{name}: trial {t.id} names no source"
    keys = [params_key(t.params) for t in trials]
    assert len(set(keys)) == len(keys), f"{name}: a configuration was suggested twice"
    batch = a.ask(3)
    new = {params_key(t.params) for t in batch}
    assert len(new) == 3 and not new & set(keys), f"{name}: ask(3) repeats a configuration"

    b = fresh()
    assert _drive(b, rounds) == asked, f"{name}: same seed and tells, other suggestions"

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'contract.db'}"
        c = fresh(storage=url, name="contract")
        _drive(c, rounds)
        del c
        reopened = bbo.Study.load("contract", url)
        nxt = reopened.ask()
        assert nxt.params == b.ask().params, (  # b: the uninterrupted twin, driven alike
            f"{name}: a study reopened from storage suggests something else than the "
            "uninterrupted one"
        )
