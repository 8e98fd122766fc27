"""Where the shared corpus of real-world files lives (next to the repository), if it is there."""

from __future__ import annotations

from pathlib import Path

# tests/support/corpus.py -> the repository -> its parent, which holds shared/corpus.
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
SPREADSHEETS = sorted((CORPUS / "spreadsheets").glob("*")) if CORPUS.is_dir() else []
