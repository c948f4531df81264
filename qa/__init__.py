"""qa: private question answering over your own documents, offline, on a CPU.

The one-line API::

    from qa import ask, search
    for hit in search("Who was known as the Lion of Panjshir?", k=5):
        print(hit.score, hit.text, [(s.path, s.start, s.end) for s in hit.sources])
    print(ask("Where did President Ashraf Ghani flee to?").text)
"""

from qa.answer import Answer, ask
from qa.config import Settings
from qa.retrieval import Hit, Searcher, Source, search

__all__ = ["Answer", "Hit", "Searcher", "Settings", "Source", "ask", "search"]
__version__ = "0.1.0"
