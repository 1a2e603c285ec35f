"""What an extract would cost and how precise it would be, before anything is spent.

Nothing here reads a count of the mart. The differentially private figures (cells, margin of
error per cell and of the grand total) depend only on the declared domain of the chosen
variables and on ε, δ and the mechanism: the same for every snapshot, so asking for an
estimate as often as one likes reveals nothing about anyone.

The suggestion to use differential privacy ("suppression would probably hide more than half
of the cells") must not be an oracle about the protected table: a yes/no computed from that
table's cells would tell, request after request, whether its small cells are many. It is
therefore computed from two figures that are public at release level only:

- the size of the cube (the declared domain, as above), and
- the size of the whole current snapshot rounded *down* to one significant figure (48,213
  becomes 40,000), which is coarser than the grand total of any unfiltered table, itself
  published (it is far above the threshold).

The rule: when the snapshot holds fewer than ``SUGGEST_PEOPLE_PER_CELL`` × k people per cell
of the cube on average, suppression is expected to hide more than half of the cells (real
counts are skewed: most cells hold far fewer people than the mean, and complementary
suppression hides more than the small cells). It is a heuristic, stated as "probably".
Filters are ignored in this figure on purpose: they only make the population smaller, so a
filtered table hides at least as much, and using the filtered size would make the answer
depend on a protected count. The answer can only change when a new snapshot's size crosses
a step of its leading digit (40,000 to 50,000, say).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from ..mart import mart_current
from ..models import ExtractMode
from ..variables import VARIABLES
from . import build as dp_build
from . import dp

# People per cell of the cube, as a multiple of the threshold k, under which suppression is
# expected to hide most cells: fewer than k people per cell on average. Checked with
# benchmarks/bench_privacy.py on CTDC-shaped marts of 3,000, 153,740 (CTDC's size) and
# 1,000,000 rows: it answers as suppression turned out in 8 of the 9 tables (the miss: year
# × gender on 3,000 rows, 100 % hidden, not suggested); 4 × k answered 7 of 9.
SUGGEST_PEOPLE_PER_CELL = 1


@dataclass(frozen=True)
class Estimate:
    mode: str
    dimensions: list[str]
    cells: int | None  # None when a variable has no declared domain (suppressed mode)
    epsilon: str | None = None
    mechanism: str | None = None
    delta: float | None = None
    sensitivity: int | None = None
    cell_margin: int | None = None
    grand_margin: int | None = None
    suggest_dp: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def coarse_population(row_count: int) -> int:
    """``row_count`` rounded down to one significant figure (0 stays 0)."""
    if row_count <= 0:
        return 0
    step = 10 ** math.floor(math.log10(row_count))
    return row_count // step * step


def _cube_size(dimensions: list[str], filters: dict[str, Any]) -> int | None:
    sizes = []
    for name in dimensions:
        levels = dp_build.levels_for(name, filters)
        if levels is None:
            return None
        sizes.append(len(levels))
    return math.prod(sizes)


def suppression_hides_most(*, cells: int | None, row_count: int, threshold: int) -> bool:
    """True when the coarse snapshot size gives under the rule's people per cell."""
    if cells is None:
        return False
    return coarse_population(row_count) < SUGGEST_PEOPLE_PER_CELL * threshold * cells


def extract_estimate(
    *,
    dimensions: list[str],
    filters: dict[str, Any],
    mode: str,
    dp_fields: dict[str, Any],
) -> Estimate:
    """The estimate for an already validated request (``extract_request_check``)."""
    cells = _cube_size(dimensions, filters)
    if mode != ExtractMode.DP:
        snapshot = mart_current()
        return Estimate(
            mode=str(mode),
            dimensions=dimensions,
            cells=cells,
            suggest_dp=snapshot is not None
            and suppression_hides_most(
                cells=cells,
                row_count=snapshot.row_count,
                threshold=settings.RESEARCH_THRESHOLD_K,
            ),
        )
    epsilon: Decimal = dp_fields["epsilon"]
    noise = dp_build.noise_for(
        dimensions=dimensions,
        epsilon=epsilon,
        mechanism=dp_fields["mechanism"],
        delta=dp_fields["delta"],
    )
    additive = not any(VARIABLES[name].multi_valued for name in dimensions)
    return Estimate(
        mode=str(mode),
        dimensions=dimensions,
        cells=cells,
        epsilon=str(epsilon.normalize()),
        mechanism=str(noise.mechanism),
        delta=noise.delta,
        sensitivity=noise.sensitivity,
        cell_margin=noise.cell_margin,
        grand_margin=dp.sum_margin(noise=noise, cells=cells) if additive and cells else None,
    )
