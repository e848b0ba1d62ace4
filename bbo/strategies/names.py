"""The acquisitions' names, torch-free, so that strategy options are checked without
importing torch (``bbo.acquisition``'s package imports it). :mod:`bbo.acquisition.registry`,
:mod:`bbo.acquisition.prior` and :mod:`bbo.acquisition.wlcb` import them from here and
``bbo.acquisition`` re-exports them; the surrogates' names are in
:mod:`bbo.surrogates.names`."""

from __future__ import annotations

# the entries of bbo.acquisition.ACQUISITIONS that run on any botorch model (the choices
# of the gp, bnn and auto strategies)
MODEL_ACQUISITIONS: tuple[str, ...] = (
    "LogEI",
    "UCB",
    "qLogNEI",
    "qUCB",
    "TS",
    "PM",
    "qLogNEHVI",
)
# every entry of bbo.acquisition.ACQUISITIONS, in its order: WLCB needs the generative model
ACQUISITION_NAMES: tuple[str, ...] = (*MODEL_ACQUISITIONS, "WLCB")

DEFAULT_BETA = 10.0  # piBO's beta: the prior counts like ~beta observations (see the benchmark)
BONUSES = ("spread", "distance")  # of WLCB (bbo.acquisition.wlcb)

__all__ = ["ACQUISITION_NAMES", "BONUSES", "DEFAULT_BETA", "MODEL_ACQUISITIONS"]
