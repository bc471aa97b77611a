"""mkdocs hook: fills each `<!-- kr:NAME -->` marker of a page with Markdown generated from the
code (see generate.py beside this file), and hides the doc-test markers."""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import expand  # noqa: E402 - needs the path above

# `<!-- doc-test: ... -->` lines tell tests/test_docs.py how to run the next code block; they
# are comments, so a reader never sees them, but they are dropped here all the same.
_DOC_TEST = re.compile(r"^<!-- doc-test:[^\n]*-->\n", re.M)


class _DynamicAll(logging.Filter):
    """`kr.__all__` splices in the session's function names (`*SESSION_FUNCTIONS`), which
    griffe's static analysis cannot read and reports. The reference documents those functions
    through `kr.session.Session`, so that one report is dropped; every other warning stays an
    error under `--strict`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Unsupported item in kr.__all__: SESSION_FUNCTIONS" not in record.getMessage()


def on_config(config: Any) -> Any:
    for name in ("mkdocs.plugins.griffe", "griffe"):
        logging.getLogger(name).addFilter(_DynamicAll())
    return config


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return _DOC_TEST.sub("", expand(markdown))
