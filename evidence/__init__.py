"""One command, one grader-facing page: run every kind of evidence against a target and
render `reports/evidence.html` from what the runs left in `reports/<kind>/`.

    python -m evidence --target local                 # run everything, then render
    WEBHOOK_SECRET=... python -m evidence --target render --base-url URL
    python -m evidence render                         # only re-render from reports/

The steps are a registry (`evidence/steps/`, one module each); the page is built from their
artifacts only (never from figures typed by hand), each checked against the target it
records, so a re-render after any single step shows exactly what is on disk. The page opens
with the assignment's rubric (`evidence/rubric.py` judges each row from the collected runs,
in the shapes of `evidence/rubric_model.py`; the rubric and the questions of parts A-K, in
our words, are `evidence/assignment.toml`); page-wide sections (the rubric, the seeded-bug
score, the benchmark) are a second registry, `evidence/sections/`; the reflection
(`evidence/reflection.md.jinja`) answers every question.
"""
