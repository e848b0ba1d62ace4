"""A Python-function objective for ``bbo run examples/sphere.yaml``."""


def sphere(x: float, y: float, shift: int) -> dict[str, float]:
    """Squared distance to (shift, -shift); also reports a second metric."""
    return {"loss": (x - shift) ** 2 + (y + shift) ** 2, "norm": abs(x) + abs(y)}
