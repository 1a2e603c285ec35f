"""Linked protection over the union of variables: a researcher's earlier figures from a
release that count people by variables the next table does not have.

A researcher who holds year x gender and gender x citizenship can bound the cells of
year x citizenship through the gender split of both (Fréchet bounds on the year x gender x
citizenship cube). So the next table is protected over the cube of the union of its
variables and those of every figure the researcher received from the same release
(``disclosure.protect_joint``): each figure, theirs or the new table's, is a sum of cube
cells. Pure functions: the caller aggregates the cube.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from . import disclosure
from .variables import VARIABLES

Key = tuple[str, ...]
Identity = frozenset  # of (variable, value) pairs, as ``extracts.result_figures`` gives them

# The protection program has one unknown per combination of values of the union's variables
# (those that hold people). Measured on CTDC-shaped data: see the README.
MAX_UNION_CELLS = 20_000


def union_dimensions(
    dimensions: Iterable[str], same_release: list[tuple[Identity, int | None]]
) -> list[str]:
    """The variables of the cube to protect over, in canonical order; empty when every
    earlier figure counts people by the table's own variables only (``protect`` links those)."""
    names = set(dimensions)
    extra = {name for identity, _count in same_release for name, _value in identity} - names
    if not extra:
        return []
    order = {name: i for i, name in enumerate(VARIABLES)}
    return sorted(names | extra, key=order.__getitem__)


def union_size(dimensions: Iterable[str], keys: Iterable[Key]) -> int:
    """The number of combinations of the values the release has for each variable.

    Those values are the ones every table of the variable lists (each combination is
    listed, "0 or hidden" included), so the researcher knows them; the size depends on no
    count of people, and neither does a refusal for it.
    """
    values: list[set[str]] = [set() for _name in dimensions]
    for key in keys:
        for i, value in enumerate(key):
            values[i].add(value)
    return math.prod(len(v) for v in values)


def lowest_published(count: int, policy: disclosure.Policy) -> int:
    """The smallest true count that is published as ``count`` (rounding hides the rest)."""
    for value in range(max(policy.threshold, count - policy.rounding_base), count + 1):
        if disclosure.round_count(value, policy) == count:
            return value
    return count


def joint_constraints(
    table: disclosure.Table,
    cube: disclosure.Table,
    same_release: list[tuple[Identity, int | None]],
    policy: disclosure.Policy,
) -> dict[str, Any]:
    """The table's figures and the researcher's other figures from the release as sums of
    the cube's cells, for ``disclosure.protect_joint``.

    A figure is the exact sum of its cube cells when it fixes every multi-valued variable of
    the cube. Otherwise it counts distinct people: an earlier published one then enters
    with a value between its largest cube cell and the sum of them, never above what it
    can truly be (the program may be tighter than the researcher's knowledge, not looser).
    """
    dims = cube.dimensions
    position = {d: i for i, d in enumerate(dims)}
    multi = {d for d in dims if VARIABLES[d].multi_valued}
    projections: dict[tuple[str, ...], dict[tuple[str, ...], list[Key]]] = {}

    def members(identity: Identity) -> tuple[tuple[Key, ...], bool]:
        names = tuple(sorted(name for name, _value in identity))
        if names not in projections:
            grouped: dict[tuple[str, ...], list[Key]] = defaultdict(list)
            for key in cube.cells:
                grouped[tuple(key[position[n]] for n in names)].append(key)
            projections[names] = grouped
        values = tuple(dict(identity)[n] for n in names)
        return tuple(sorted(projections[names].get(values, ()))), not (multi - set(names))

    table_dims = table.dimensions
    identities: dict[tuple[str, Key], Identity] = {
        ("cell", key): frozenset(zip(table_dims, key, strict=True)) for key in table.cells
    }
    for key in table.row_totals:
        identities[("row", key)] = frozenset(zip(table_dims[:-1], key, strict=True))
    for key in table.column_totals:
        identities[("column", key)] = frozenset({(table_dims[-1], key[0])})
    identities[("grand", disclosure.GRAND)] = frozenset()
    values = {("cell", key): v for key, v in table.cells.items()}
    values.update({("row", key): v for key, v in table.row_totals.items()})
    values.update({("column", key): v for key, v in table.column_totals.items()})
    values[("grand", disclosure.GRAND)] = table.grand_total
    figures = {}
    for (kind, key), identity in identities.items():
        cells, additive = members(identity)
        figures[(kind, key)] = disclosure.Margin(kind, key, values[(kind, key)], cells, additive)

    own = set(identities.values())
    # A figure published by one table and hidden by another is known.
    held: dict[Identity, int | None] = {}
    for identity, count in same_release:
        if identity not in own and held.get(identity) is None:
            held[identity] = count
    earlier: list[disclosure.Margin] = []
    for identity, count in sorted(held.items(), key=lambda item: sorted(item[0])):
        cells, additive = members(identity)
        if not cells:
            continue
        parts = [cube.cells[c] for c in cells]
        if count is None:
            kind, value = disclosure.EARLIER_HIDDEN, sum(parts)
        elif additive:
            kind, value = disclosure.EARLIER, sum(parts)
        else:
            kind, value = disclosure.EARLIER, max(max(parts), lowest_published(count, policy))
        earlier.append(disclosure.Margin(kind, (str(len(earlier)),), value, cells, additive))
    return {"cube": cube.cells, "figures": figures, "earlier": earlier}
