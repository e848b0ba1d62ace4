"""``python -m benchmarks.risk_noise``: how well ``n`` replicates measure a risk statistic on
the risk benchmark's problems (:mod:`benchmarks.risk_problems`), at the mean's optimum and
at the statistic's optimum (docs/statistics.md, "Quantile(0.9)").

For each point, ``--draws`` independent sets of ``--replicates`` samples give the empirical
statistic's bias against the true one (20,000 common draws), its actual standard deviation,
and the bootstrap standard error that ``gp`` uses as known noise (:func:`bbo.statistics.
bootstrap`, root mean square over the sets): a bootstrap SE well below the actual SD would
make the GP trust tail values too much.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from bbo.statistics import Statistic, bootstrap


def measure(
    problem: str, stat: Statistic, x: np.ndarray, replicates: int, draws: int, seed: int = 0
) -> dict[str, float]:
    """``true``, ``bias``, ``sd`` (of the empirical statistic) and ``boot_se`` (RMS bootstrap
    standard error) of ``stat`` at ``x`` from ``draws`` sets of ``replicates`` samples."""
    from benchmarks.risk_problems import PROBLEMS

    prob = PROBLEMS[problem]
    rng = np.random.default_rng(seed)
    vals, ses = [], []
    for r in range(draws):
        y = prob.sample(x, replicates, rng)
        vals.append(stat.compute(y))
        ses.append(bootstrap(y, stat, seed=r).se)
    true = float(prob.true(x[None, :], stat)[0])
    v = np.array(vals)
    return {
        "true": true,
        "bias": float(v.mean() - true),
        "sd": float(v.std(ddof=1)),
        "boot_se": float(np.sqrt(np.mean(np.square(ses)))),
    }


def main(argv: Sequence[str] | None = None) -> None:
    from benchmarks.risk_problems import PROBLEMS, STATISTICS

    p = argparse.ArgumentParser(prog="python -m benchmarks.risk_noise", description=__doc__)
    p.add_argument("--problems", default="camel-skew,levi-bimodal,rosenbrock8-hetero")
    p.add_argument("--statistics", default="quantile,cvar")
    p.add_argument("--replicates", type=int, default=20)
    p.add_argument("--draws", type=int, default=300)
    args = p.parse_args(argv)
    print("| problem | point | statistic | true | bias | sd | bootstrap se |")
    print("|---|---|---|---|---|---|---|")
    for name in args.problems.split(","):
        prob = PROBLEMS[name]
        for s in args.statistics.split(","):
            stat = STATISTICS[s](prob)
            for label, x in (("mean's optimum", prob.start), ("its optimum", prob.argmin(stat))):
                if x is None:
                    continue
                m = measure(name, stat, np.asarray(x, float), args.replicates, args.draws)
                print(
                    f"| {name} | {label} | {stat} | {m['true']:.3f} | {m['bias']:+.3f} | "
                    f"{m['sd']:.3f} | {m['boot_se']:.3f} |"
                )


if __name__ == "__main__":
    main()
