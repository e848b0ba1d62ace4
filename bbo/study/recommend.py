"""Which trial a study recommends: the best observation, or on a noisy objective the
evaluated point of best predicted value.

With noise the lowest observed value is biased: among many evaluations the luckiest draw
wins, and its point is seldom the best one. Ax and OSS Vizier recommend instead the
evaluated point whose *posterior mean* is best. Here the model is the ``gp`` strategy's
GP (:func:`bbo.surrogates.gp.fit_gp`) on the encoded feasible COMPLETED trials, with the
replicates' squared standard errors as known noise when every point has two or more,
else an inferred noise level::

    recommended = argmin_i  sign * mu(x_i),   mu = E[f(x) | data]

over the feasible COMPLETED trials ``x_i`` (ties: the lower trial id). For an
``exceed(t)`` objective with replicates on every point the GP models instead the probit of
the smoothed exceedance, ``z_i = Phi^-1((1/n) sum_j Phi((y_ij - t) / h_i))``, with its
bootstrap variance as known noise (:mod:`bbo.strategies.exceed`): the frequency is 0 or 1
on a plateau, where it cannot rank points, and ``z_i`` still orders them by how far the
replicates lie beyond ``t``. The counts still veto: a trial whose replicates exceed ``t``
*significantly* more often than those of the trial of lowest empirical exceedance (one-sided
Fisher exact test at 5%, :func:`bbo.strategies.exceed.refuted`) is not recommended, however
the GP ranks it. This is Ax's rule of falling back on the raw data where the model is not
to be trusted (Ax checks the model's fit as a whole by cross-validation; here the test is
per point): on a plateau the bootstrap variance of ``z_i`` is inflated by resamples that
drop the replicates nearest ``t``, the GP then treats such a point as barely observed and
may predict it below a point with 3 exceedances of 20 while its own replicates show 20 of
20 (seen on ``levi-bimodal``, docs/statistics.md). Where the counts cannot tell points
apart the GP decides, as before. Only the ranking changes: the recommended trial's value is
still its empirical exceedance. A study uses it
when its objective is declared noisy (``noisy=True``) or when replicate samples were told;
otherwise, and for several objectives, the observed values decide.
"""

from __future__ import annotations

from collections.abc import Sequence

from bbo.space import Space
from bbo.trial import Objective, Trial, replicate_noise

MIN_POINTS = 3  # below this a model says nothing the observations do not


def replicated(trials: Sequence[Trial]) -> bool:
    """Whether replicate samples (two or more for one point) were told: noise is known."""
    for t in trials:
        told = [t.samples] if t.samples is not None else list((t.metric_samples or {}).values())
        if any(len(r) >= 2 for r in told):
            return True
    return False


def best_observed(done: Sequence[Trial], objective: Objective) -> Trial | None:
    """The feasible COMPLETED trial of best observed value (ties: the lower id)."""
    if not done:
        return None
    return min(done, key=lambda t: (objective.sign * t.values[objective.name], t.id))


def recommended(done: Sequence[Trial], objective: Objective, space: Space) -> Trial | None:
    """The trial of ``done`` (feasible COMPLETED trials) whose GP posterior mean is best;
    the best observed one while there are fewer than :data:`MIN_POINTS`."""
    if len(done) < MIN_POINTS:
        return best_observed(done, objective)
    import numpy as np
    import torch

    from bbo.space.outside import encode_stored
    from bbo.strategies.exceed import exceed_targets, refuted
    from bbo.surrogates.gp import GPData, fit_gp
    from bbo.torch_utils import seeded

    X = encode_stored(space, [t.params for t in done])
    Yvar: np.ndarray | None
    target = exceed_targets(done, [objective])
    if target is not None:  # exceed(t): the probit score, graded where the frequency is 0 or 1
        U, Yvar = target[0], target[1]
    else:
        U = np.array([[-objective.sign * t.values[objective.name]] for t in done])  # utilities
        Yvar = replicate_noise(done, objective)
    cpu = torch.device("cpu")
    with seeded(0, cpu):
        model, _ = fit_gp(
            GPData(X, U, Yvar), cat_dims=sorted(space.categorical_dims), device=cpu, state=None
        )
        with torch.no_grad():
            mean = model.posterior(torch.as_tensor(X, dtype=torch.float64)).mean[:, 0]
    score = np.where(refuted(done, objective), -np.inf, mean.numpy())  # exceed(t) only
    order = np.lexsort((np.array([t.id for t in done]), -score))
    return done[int(order[0])]
