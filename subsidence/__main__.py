"""Entry point for ``python -m subsidence``."""

from __future__ import annotations

import sys

from subsidence.cli import main

if __name__ == "__main__":
    sys.exit(main())
