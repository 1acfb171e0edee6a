"""Page-wide sections: what the page shows once, not per target (the rubric at the top; the
seeded-bug score and the benchmark after the steps). The same pattern as the steps
(evidence/steps/): every module here ends with `SECTION = Section(...)`, and its template
is evidence/templates/sections/<name>.html.j2, a `<section id="<name>">` showing
`sections.<name>` (the value its `read` returned).

    name    the page's id="<name>", templates/sections/<name>.html.j2
    title   the navigation
    order   its place among the sections
    read    Evidence -> its data, from reports/ (evidence.root) and what was collected
            (the targets and their step results, the sections read before it)
    top     shown before the checklist (the rubric) instead of after the steps
    late    read after the reflection is rendered, because it judges it (the rubric);
            the others are read before, so the reflection can quote them
            (`sections.bench`, `sections["seeded-bugs"]`)

Adding a section = one module here + one template. Nothing else needs an edit.
"""

import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    order: int
    read: Callable[[Any], Any]
    top: bool = False
    late: bool = False

    @property
    def template(self) -> str:
        return f"sections/{self.name}.html.j2"


def _discover() -> list[Section]:
    found = [import_module(f"{__name__}.{m.name}").SECTION for m in pkgutil.iter_modules(__path__)]
    return sorted(found, key=lambda section: section.order)


SECTIONS: list[Section] = _discover()
