"""Start qa. The browser UI arrives with the UI issue; until then this indexes seeds/ (if
needed) and shows how to search."""

from __future__ import annotations

import sys

from qa.cli import main

if __name__ == "__main__":
    status = main(["index", *sys.argv[1:]])
    if status == 0:
        print(
            "\nThe index is ready. Search it:\n"
            '  .venv/bin/qa search "Who was known as the Lion of Panjshir?" -k 5\n'
            "or from Python:\n"
            "  from qa import search; search('Who was known as the Lion of Panjshir?')"
        )
    sys.exit(status)
