"""`python -m kr.mcp`: the `kr-mcp` command."""

from __future__ import annotations

if __name__ == "__main__":
    from . import main

    main()
