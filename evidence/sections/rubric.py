"""The assignment's rubric, first on the page: each row's status per target, the evidence
behind it and what is missing for a full mark (the rules: evidence/rubric.py)."""

from evidence import rubric
from evidence.sections import Section

SECTION = Section("rubric", "Rubric", 0, rubric.assess, top=True, late=True)
