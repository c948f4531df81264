"""Names in a question or a sentence: runs of capitalised words ("Kestrel Aviation", "Quinn
Petrov", "Super Bowl 50"), as sets of stemmed words.

News and tables name look-alikes: Kestrel Aviation and Kestrel Motors, Daniel Hart and Peter
Hart. A sentence about "Kestrel Motors" shares the word "Kestrel" with a question about
"Kestrel Aviation", which is how an audit got the van maker's chief executive as the
airline's. ``conflicts`` tells such a sentence from one that names the asked-about entity.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import extractOne

from qa.bm25 import tokenize


@cache
def stop_words() -> frozenset[str]:
    """spaCy's English stop words, as written and stemmed: "what", "does", "the" name
    nothing a question asks about."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(tokenize([" ".join(STOP_WORDS)])[0]) | frozenset(STOP_WORDS)


WH_WORDS = "what|which|who|whom|whose|when|where|why|how"
AUXILIARIES = (
    "is|are|was|were|do|does|did|can|could|will|would|should|shall|may|might|must|has|have|had"
)
#: a capitalised word ("O'Neill", "Mercedes-Benz", "U.S."; not the "OS" of "macOS" nor the
#: "Phone" of "iPhone"), or a number ("50", "2,310")
_TOKEN = re.compile(r"(?<![\w’'])(?:[A-Z][\w’'.-]*\w|[A-Z])|\d[\d,.]*\d|\d")
_POSSESSIVE = re.compile(r"['’]s?$")
#: capitalised for the sentence or as a title, not as part of a name
_NOT_NAMES = frozenset(
    f"{WH_WORDS}|{AUXILIARIES}|mr|mrs|ms|dr|prof|professor|doctor|sir|dame|lady|lord|captain"
    "|president|mayor|chair|chairman|chairwoman|i".split("|")
)
#: words a title-cased text capitalises and running text does not
_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "and",
        "or",
        "by",
        "from",
        "with",
        "is",
        "are",
        "was",
        "were",
    ]
)
_WORD = re.compile(r"[^\W\d_][\w’'-]*")


def runs(text: str, numbers: bool = True, question: bool = False) -> list[set[str]]:
    """The names of ``text``: capitalised words in a row, separated by spaces only, with a
    number that follows one ("Lock 9"; not with ``numbers`` off); a possessive ends a name
    ("the Broncos' Peyton Manning" is two). Stop words, question words and titles are
    dropped, and so is a ``question``'s first word ("Give Ada Sato's room"). Text in
    capitals or in title case ("What Room Is Ada In?") names nothing: there is no telling
    its names from its other words."""
    words = _WORD.findall(text)
    small = [w for w in words[1:] if w.lower() in _SMALL_WORDS]
    if text.isupper() or (small and all(w[0].isupper() for w in small)):
        return []
    if question and words:
        first = text.index(words[0])
        text = text[:first] + words[0].lower() + text[first + len(words[0]) :]
    found: list[list[str]] = []
    current: list[str] = []
    last = -1
    for m in _TOKEN.finditer(text):
        word = m.group()
        goes_on = bool(current) and text[last : m.start()].strip(" \t") == "" and m.start() > last
        goes_on = goes_on and not _POSSESSIVE.search(current[-1])
        if word[0].isdigit() and not (goes_on and numbers):
            if current:
                found.append(current)
            current = []
        elif goes_on:
            current.append(word)
        else:
            if current:
                found.append(current)
            current = [word]
        last = m.end()
    if current:
        found.append(current)
    out = []
    for words in found:
        kept = [_POSSESSIVE.sub("", w) for w in words if w.lower().rstrip(".") not in _NOT_NAMES]
        terms = set(tokenize([" ".join(kept)])[0])
        if terms:
            out.append(terms)
    return out


def words_of_names(text: str, numbers: bool = True) -> dict[str, set[str]]:
    """Each word of a name in the question ``text``, mapped to the words of that name."""
    return {word: name for name in runs(text, numbers, question=True) for word in name}


def conflicts(question_names: list[set[str]], sentence: str) -> bool:
    """Whether ``sentence`` names a look-alike of a name the question gives, and not that
    name itself: "Kestrel Motors" for "Kestrel Aviation" (they share a word, and neither
    name holds the other; "Kestrel" alone, or "Kestrel Aviation Ltd", is no look-alike)."""
    if not question_names:
        return False
    names = runs(sentence)
    # a name the question gives, or a part or a longer form of one, is no look-alike
    # ("Peter Hart" in "Did Peter Hart work with Daniel Hart?")
    others = [n for n in names if not any(n <= q or q <= n for q in question_names)]
    for asked in question_names:
        if any(asked <= name for name in names):
            continue
        if any(asked & name for name in others):
            return True
    return False


#: a number as written: "2,310", "3.1", "1990" of "1990s", "3" of "3rd", "85" of "£85m";
#: "1,3" is two
_NUMBER = re.compile(r"(?<!\d)(?<!\d\.)\d+(?:,\d{3})*(?:\.\d+)?(?!\d|\.\d)")
# fmt: off
_NUMBER_WORDS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen", "twenty",
]
_ORDINALS = [
    "zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
    "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
    "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth",
]
_SPELT = {w: str(n) for words in (_NUMBER_WORDS, _ORDINALS) for n, w in enumerate(words)}
_SPELT_WORD = re.compile(rf"\b(?:{'|'.join(_SPELT)})\b", re.IGNORECASE)
#: Roman numerals II to XX ("World War II"; not "I", which is mostly the pronoun)
_ROMAN = {
    r: str(n)
    for n, r in enumerate(["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI",
                           "XII", "XIII", "XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX"])
    if n > 1
}
# fmt: on
_ROMAN_WORD = re.compile(rf"\b(?:{'|'.join(_ROMAN)})\b")


def _normal(number: str) -> str:
    """One form per number: "1,000" is "1000", "1.50" is "1.5", "2.0" is "2"."""
    number = number.replace(",", "")
    return number.rstrip("0").rstrip(".") if "." in number else number


#: a run of digits that is a phone number or a code ("+44 20 7946 0958"), not a quantity
_PHONE = re.compile(r"\+?\d[\d ()-]{6,}\d")
#: a clock time ("9:30", "20:00"): it is also said "9.30", and after 12 "8pm"
_CLOCK = re.compile(r"(?<!\d)(\d{1,2})[:.](\d\d)(?!\d)")
#: tens and units spelt out ("twenty-one", "ninety-ninth")
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip
_COMPOUND = re.compile(
    rf"\b({'|'.join(_TENS)})[- ]({'|'.join(_NUMBER_WORDS[1:10] + _ORDINALS[1:10])})\b",
    re.IGNORECASE,
)


def numbers(text: str) -> set[str]:
    """The numbers written in digits in ``text``, in one form each (``_normal``), but for
    phone numbers; a number with a leading zero ("00" of "9:00") is left out: "9am" says the
    same time."""
    text = _PHONE.sub(" ", unicodedata.normalize("NFKC", text))
    return {_normal(m) for m in _NUMBER.findall(text) if m == "0" or not m.startswith("0")}


def asked_numbers(text: str) -> set[str]:
    """The numbers ``text`` gives in digits or in words ("two years", "the third")."""
    return numbers(text) | {_SPELT[w.lower()] for w in _SPELT_WORD.findall(text)}


@lru_cache(maxsize=64)
def mentioned_numbers(text: str) -> frozenset[str]:
    """Every number ``text`` mentions, in any form a question may give it: in digits ("05"
    as "5", "CO₂" as 2), spelt out ("four", "third", "twenty-one"), in Roman numerals
    ("World War II"), a year by its last two digits ("FY24", "the 90s"), a clock time as
    "9.30" and after 12 as "8" ("8pm"). Cached, as one document answers many questions."""
    text = unicodedata.normalize("NFKC", text)
    found = {_normal(m) for m in _NUMBER.findall(text)}
    found |= {m.lstrip("0") or "0" for m in found}
    found |= {n[2:] for n in found if len(n) == 4 and n[:2] in ("19", "20")}
    for hour, minute in _CLOCK.findall(text):
        found |= {_normal(f"{int(hour)}.{minute}"), str(int(hour) % 12 or 12)}
    found |= {_SPELT[m.casefold()] for m in _SPELT_WORD.findall(text)}
    found |= {
        str(_TENS[t.casefold()] + int(_SPELT[u.casefold()])) for t, u in _COMPOUND.findall(text)
    }
    found |= {str(n) for word, n in _TENS.items() if re.search(rf"\b{word}", text, re.I)}
    found |= {_ROMAN[m] for m in _ROMAN_WORD.findall(text)}
    return frozenset(found)


#: a word in capitals ("SP", "MSPs", "UK", "U.S."): an abbreviation, which a document spells out
_ABBREVIATION = re.compile(r"\b[A-Z]{2,}s?\b|(?<!\w)(?:[A-Z]\.){2,}")


@lru_cache(maxsize=64)
def _stems(text: str) -> frozenset[str]:
    return frozenset(tokenize([text])[0])


@lru_cache(maxsize=4096)
def _held(word: str, stems: frozenset[str]) -> bool:
    """Whether a document of these ``stems`` holds ``word``, or a form of it ("Europe" for
    "European": one starts the other, four letters at least), or it spelt one letter apart
    ("Céloron" for "Celeron", five letters at least)."""
    if word in stems or word.isdigit():
        return True
    if len(word) >= 4 and any(
        len(s) >= 4 and (s.startswith(word) or word.startswith(s)) for s in stems
    ):
        return True
    return (
        len(word) >= 5
        and extractOne(word, stems, scorer=DamerauLevenshtein.distance, score_cutoff=1) is not None
    )


def unnamed(question: str, names: list[set[str]], document: str) -> bool:
    """Whether ``document`` never names one of the question's ``names``: a word of one is
    nowhere in it, in any form (``_held``), and is not an abbreviation. A sentence of such a
    document answers another question than the one asked ("Who founded Harrow Bank?" of an
    article that never says "Harrow"); SQuAD 2.0's unanswerable questions often swap a name."""
    if not names:
        return False
    stems = _stems(document)
    abbreviations = set(tokenize([" ".join(_ABBREVIATION.findall(question))])[0])
    return any(not _held(w, stems) for name in names for w in name - abbreviations)
