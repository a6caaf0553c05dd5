"""Command line: ``python -m skaudio`` (also installed as ``skaudio``); see :mod:`skaudio._cli`."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
