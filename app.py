"""Start the qa browser UI: ``python app.py [--host H] [--port P] [--index-dir D] [--corpus C]``.

Builds the default index from seeds/ on first start (with progress), then serves
http://127.0.0.1:7860.
"""

from __future__ import annotations

import sys

from qa.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
