"""mkdocs hook: fills each `<!-- kr:NAME -->` marker of a page with Markdown generated from the
code (see generate.py beside this file), and hides the doc-test markers."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import expand  # noqa: E402 - needs the path above

# `<!-- doc-test: ... -->` lines tell tests/test_docs.py how to run the next code block; they
# are comments, so a reader never sees them, but they are dropped here all the same.
_DOC_TEST = re.compile(r"^<!-- doc-test:[^\n]*-->\n", re.M)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return _DOC_TEST.sub("", expand(markdown))
