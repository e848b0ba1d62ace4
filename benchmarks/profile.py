"""``python -m benchmarks.profile``: where the time of an ask goes.

For one method, problem and history size (as in :mod:`benchmarks.speed`: ``n`` uniformly
random points told first, not timed; one warm-up ask), ``--asks`` asks run under cProfile
in this process (single-threaded), and their time is split into the steps of the BO
pipeline (:mod:`bbo.strategies.pipeline`), by the cumulative time of the functions that
run them:

| step        | function                                                             |
|-------------|----------------------------------------------------------------------|
| data        | the data step (``ImputedData.__call__``: imputation, output warping) |
| model fit   | ``bbo.surrogates.gp.fit_gp`` (hyperparameters, the botorch model)    |
| acquisition | ``BOStrategy._maximize`` (the acquisition and its optimizer)         |
| pools       | ``AutoStrategy.pools`` (the ``auto`` portfolio's candidate pools)    |
| rest        | everything else of the ask (the study, decoding, bookkeeping)        |

followed by the functions with the most time of their own. The per-step figures under
cProfile are inflated by its overhead (most where many small calls are made); their shares
are the point. Used for the profile summary in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
from collections.abc import Sequence

from benchmarks.speed import with_history

STEPS = {  # step -> (file suffix, function name)
    "data": ("strategies/pipeline.py", "__call__"),
    "model fit": ("surrogates/gp.py", "fit_gp"),
    "acquisition": ("strategies/pipeline.py", "_maximize"),
    "pools": ("strategies/portfolio.py", "pools"),
}


def profile(
    method: str, problem: str, n: int, asks: int, top: int = 12, seed: int = 0
) -> tuple[dict[str, float], str]:
    """Seconds per ask by step (the module docstring) and in ``total``, under cProfile, and
    the ``top`` functions by their own time (text)."""
    opt, instance, rng = with_history(method, problem, n, asks, seed)
    params = opt.ask()  # the warm-up
    opt.tell(params, instance.observe(params, rng))
    prof = cProfile.Profile()
    for _ in range(asks):
        prof.enable()
        params = opt.ask()
        prof.disable()
        opt.tell(params, instance.observe(params, rng))
    stats = pstats.Stats(prof)
    table = stats.stats  # type: ignore[attr-defined]
    out = {"total": stats.total_tt / asks}  # type: ignore[attr-defined]
    for step, (suffix, name) in STEPS.items():
        out[step] = (
            sum(
                v[3]
                for (path, _, func), v in table.items()
                if func == name and path.replace("\\", "/").endswith(suffix)
            )
            / asks
        )
    out["rest"] = out["total"] - sum(out[s] for s in STEPS)
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(top)
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    head = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return out, "\n".join(lines[head:])


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__)
    p.add_argument("--method", default="bbo-auto")
    p.add_argument("--problem", default="hartmann6")
    p.add_argument("--n", type=int, nargs="+", default=[100, 1000])
    p.add_argument("--asks", type=int, default=5)
    p.add_argument("--top", type=int, default=12, help="functions listed by their own time")
    args = p.parse_args(argv)
    for n in args.n:
        steps, top = profile(args.method, args.problem, n, args.asks, args.top)
        shares = ", ".join(
            f"{k} {v * 1e3:.1f} ms ({100 * v / steps['total']:.0f}%)"
            for k, v in steps.items()
            if k != "total"
        )
        print(
            f"{args.method} {args.problem} n={n}: {steps['total'] * 1e3:.1f} ms per ask: {shares}"
        )
        print(top)


if __name__ == "__main__":
    main()
