"""One command, one grader-facing page: run every kind of evidence against a target and
render `reports/evidence.html` from what the runs left in `reports/`.

    python -m evidence --target local                 # run everything, then render
    python -m evidence --target render --base-url URL --webhook-secret S
    python -m evidence render                         # only re-render from reports/

The page is built from the artifacts only (never from figures typed by hand), so a
re-render after any single step shows exactly what is on disk.
"""
