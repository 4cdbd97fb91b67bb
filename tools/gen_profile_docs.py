"""Regenerate docs/profiles.md from the profile sections (wscard/sections)."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from wscard.profile_docs import write  # noqa: E402

write(ROOT / "docs" / "profiles.md")
print(ROOT / "docs" / "profiles.md")
