"""Which build this is: the service version (its one home) and the commit it was built from.

`/health` reports both, so a client can tell which deployment answered (a deploy still
rolling out answers with the previous commit). The commit is, in order:

1. `RENDER_GIT_COMMIT`: Render sets it to the deployed commit's SHA (any platform or
   rehearsal can set it the same way);
2. the checkout's `HEAD`, read once at start-up from the files under `.git` (a worktree's
   `.git` file, symbolic refs, packed refs), without spawning `git`;
3. `None` (an unpacked archive, a container image without `.git`).

Stdlib only, and never raises: a missing or odd `.git` means "unknown", not a failed start.
"""

import re
from pathlib import Path

__version__ = "1.0.0"

ROOT = Path(__file__).resolve().parent.parent
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")  # SHA-1, or SHA-256 repositories


def deployed_commit(declared: str | None = None, root: Path = ROOT) -> str | None:
    """The commit this process serves: the platform's word (`declared`, from
    `RENDER_GIT_COMMIT`), else the checkout's, else None."""
    declared = (declared or "").strip()
    if declared:
        return declared[:64]
    return checkout_commit(root)


def checkout_commit(root: Path = ROOT) -> str | None:
    """The full SHA of `root`'s checked-out commit, from the files git keeps (no subprocess)."""
    try:
        git_dir = _git_dir(root)
        if git_dir is None:
            return None
        common = _common_dir(git_dir)
        head = (git_dir / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head if _SHA.match(head) else None  # a detached HEAD
        return _resolve_ref(head.removeprefix("ref:").strip(), git_dir, common)
    except (OSError, UnicodeDecodeError):
        return None


def _git_dir(root: Path) -> Path | None:
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
        text = dot_git.read_text().strip()
        if text.startswith("gitdir:"):
            path = Path(text.removeprefix("gitdir:").strip())
            return path if path.is_absolute() else (root / path).resolve()
    return None


def _common_dir(git_dir: Path) -> Path:
    """Where the refs live: a worktree's git dir names it in `commondir`."""
    pointer = git_dir / "commondir"
    if pointer.is_file():
        path = Path(pointer.read_text().strip())
        return path if path.is_absolute() else (git_dir / path).resolve()
    return git_dir


def _resolve_ref(ref: str, git_dir: Path, common: Path) -> str | None:
    if not ref.startswith("refs/") or ".." in ref:
        return None
    for base in (git_dir, common):  # per-worktree refs first, then the shared ones
        loose = base / ref
        if loose.is_file():
            sha = loose.read_text().strip()
            return sha if _SHA.match(sha) else None
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            sha, _, name = line.partition(" ")
            if name.strip() == ref and _SHA.match(sha):
                return sha
    return None  # a branch with no commit yet
