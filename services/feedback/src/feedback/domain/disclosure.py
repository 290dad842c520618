"""What the public may be told of the figures (公开): aggregates only, and no cell so small that
it points at a person. A count below ``K`` is withheld, and so is every rate computed over fewer
than ``K`` cases — a 满意率 of 0 % over two ratings tells who was unhappy in a village."""

from __future__ import annotations

from collections.abc import Mapping

K = 5  # the smallest group published (k-anonymity)

# Each published rate: (its numerator, its denominator), as the figures' columns name them.
RATES = {
    "response_rate": ("responded", "cases"),
    "resolution_rate": ("resolved", "cases"),
    "satisfaction_rate": ("satisfied", "rated"),
    "on_time_rate": ("on_time", "timed"),
}


def published_count(count: int) -> int | None:
    return count if count >= K else None


def published_rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole >= K else None


def published_figures(row: Mapping[str, int]) -> dict[str, int | float | None]:
    """One group's figures for the public: the case count and the four rates, each withheld
    (None) when it rests on fewer than ``K`` cases."""
    out: dict[str, int | float | None] = {"cases": published_count(row["cases"])}
    for name, (part, whole) in RATES.items():
        out[name] = published_rate(row[part], row[whole]) if out["cases"] is not None else None
    return out
