"""The evidence steps: the one registry that the CLI (`--skip-<name>`, each step's options),
the run, the checklist, the page and the reflection iterate over.

Every module in this package is one step and ends with `STEP = Step(...)` (evidence/step.py),
declaring:

    name, title, nav   --skip-<name>, the checklist row, the page section id="<name>"
    order              its place in the run, the checklist and the page
    read(reports)      one target's reports/<kind>/... -> a typed result (dataclasses), each
                       artifact checked against the target it records (`model.foreign`)
    status(result)     the checklist cell (status, note) from the step's OWN artifact
    run(context)       the real run -> StepResult (None when another step's run, `run_by`,
                       writes the artifact: Postman runs inside pytest)
    live               needs a running service (for `local`, the evidence run's own)
    options            its CLI options
    reflection         the names it gives the reflection (default `<name>`, `remote_<name>`)
    compare            its rows of the local-vs-deployed table

Adding a step = one module here + one template block, evidence/templates/steps/<name>.html.j2
(a <section id="<name>"> that shows `t.results.<name>` for each target `t`). Nothing else
needs an edit: the registry finds the module, and the CLI, the checklist, the navigation,
the page and the manifest follow it. What the page shows once rather than per target (the
rubric, the seeded-bug score, the benchmark) is a section: evidence/sections/, the same
pattern.
"""

import pkgutil
from importlib import import_module

from evidence.step import Step


def _discover() -> list[Step]:
    steps = [import_module(f"{__name__}.{m.name}").STEP for m in pkgutil.iter_modules(__path__)]
    return sorted(steps, key=lambda step: step.order)


STEPS: list[Step] = _discover()
BY_NAME: dict[str, Step] = {step.name: step for step in STEPS}
