"""Which code a benchmark measured, recorded beside its figures.

A results file is only worth citing if it says which commit made it, and whether the files that
decide the figures differed from that commit when it ran ("+dirty"). Every script under bench/
asks here, so the rule is written once.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def git_commit(*watched: str) -> str:
    """HEAD's hash, with "+dirty" when any of the ``watched`` paths (relative to the repository)
    differ from it; "unknown" outside a git checkout."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", *watched], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if watched and changed else "")
