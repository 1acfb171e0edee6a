"""What a step module declares (`STEP = Step(...)`), and the defaults most steps take.

See `evidence/steps/__init__.py` for the registry and how to add a step.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evidence.model import StepResult, artifact_status, trusted
from tooling.layout import TargetReports

if TYPE_CHECKING:
    from evidence.runner import Context

# (flags, argparse keywords), as tooling.target.OPTIONS
Option = tuple[tuple[str, ...], dict[str, Any]]


@dataclass(frozen=True)
class Delta:
    """One figure of the local-vs-deployed table (delta = deployed - local)."""

    group: str
    metric: str
    local: float | None
    remote: float | None
    unit: str = ""
    comparable: bool = True  # False: two figures side by side, with no delta (other things)

    @property
    def delta(self) -> float | None:
        if self.local is None or self.remote is None or not self.comparable:
            return None
        return round(self.remote - self.local, 2)

    @property
    def ratio(self) -> float | None:
        if not self.local or self.remote is None or not self.comparable:
            return None
        return round(self.remote / self.local, 2)


def first(result: Any) -> Any:
    """The step's headline artifact: the first trusted item of a list, or the result."""
    result = trusted(result)
    if isinstance(result, list):
        return result[0] if result else None
    return result


def own_names(name: str) -> Callable[[dict[str, Any], str | None], dict[str, Any]]:
    """The reflection's default names for a step: `<name>` (local) and `remote_<name>`."""

    def names(by_kind: dict[str, Any], remote_kind: str | None) -> dict[str, Any]:
        return {
            name: first(by_kind.get("local")),
            f"remote_{name}": first(by_kind.get(remote_kind)) if remote_kind else None,
        }

    return names


def no_deltas(local: Any, remote: Any) -> list[Delta]:
    return []


@dataclass(frozen=True)
class Step:
    """One kind of evidence: how it runs, how its artifacts are read and judged, and what
    it gives the page (evidence/templates/steps/<name>.html.j2), the reflection and the
    comparison. Only name, title, order and read are required."""

    name: str  # the CLI's --skip-<name>, the page's id="<name>", templates/steps/<name>.html.j2
    title: str  # the checklist row, the navigation, the console
    order: int  # place in the run, the checklist and the page
    read: Callable[[TargetReports], Any]  # one target's artifacts -> a typed result
    run: Callable[["Context"], StepResult] | None = None  # None: `run_by` writes the artifact
    status: Callable[[Any], tuple[str, str]] = artifact_status  # the checklist cell
    live: bool = False  # needs a running service (local: the evidence run's own)
    run_by: str | None = None
    options: tuple[Option, ...] = ()
    reflection: Callable[[dict[str, Any], str | None], dict[str, Any]] | None = None
    compare: Callable[[Any, Any], list[Delta]] = no_deltas

    def names(self, by_kind: dict[str, Any], remote_kind: str | None) -> dict[str, Any]:
        """The reflection's names from this step (trusted results only)."""
        return (self.reflection or own_names(self.name))(by_kind, remote_kind)

    @property
    def template(self) -> str:
        return f"steps/{self.name}.html.j2"
