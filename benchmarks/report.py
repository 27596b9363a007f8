"""The benchmark's results: tables of raw values, the goals they are held to, and markdown."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from benchmarks.scale import Scale

Cell = int | float | str | None


@dataclass
class Table:
    """One section's results. Rows keep raw values (tests compare them); rendering formats."""

    key: str
    title: str
    columns: list[str]
    rows: list[dict[str, Cell]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: Cell) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.key}: {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(dict(zip(self.columns, cells, strict=True)))

    def find(self, **match: Cell) -> dict[str, Cell]:
        """The one row whose cells equal ``match`` (column names with spaces: pass a dict)."""
        found = [row for row in self.rows if all(row.get(k) == v for k, v in match.items())]
        if len(found) != 1:
            raise KeyError(f"{self.key}: {len(found)} rows match {match}")
        return found[0]

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", _line(self.columns), _line(["---"] * len(self.columns))]
        lines += [_line([format_cell(row[c]) for c in self.columns]) for row in self.rows]
        if self.notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class Goal:
    """One of the issue's targets and how this run did against it (``met`` None: not run)."""

    goal: str
    target: str
    measured: str
    met: bool | None


@dataclass
class Section:
    """What one part of the benchmark returns."""

    tables: list[Table] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)


@dataclass
class Report:
    scale: Scale
    environment: list[tuple[str, str]]
    tables: list[Table] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)

    def extend(self, section: Section) -> None:
        self.tables += section.tables
        self.goals += section.goals

    def table(self, key: str) -> Table:
        return next(table for table in self.tables if table.key == key)

    def goals_markdown(self) -> str:
        columns = ["goal", "target", "measured", "met"]
        lines = [_line(columns), _line(["---"] * len(columns))]
        for goal in self.goals:
            verdict = {True: "yes", False: "**no**", None: "not run"}[goal.met]
            lines.append(_line([goal.goal, goal.target, goal.measured, verdict]))
        return "\n".join(lines)


def _line(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def format_cell(value: Cell) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
