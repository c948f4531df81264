"""The kind of answer a question asks for, and whether a span of text is of that kind.

The reader points at the span it rates best in each passage, whatever the question's form:
"Why did leakage fall?" got "11 percent" from "Leakage fell by 11 percent …", with the reason
one sentence on. When a question's form says what kind of answer it wants (``expects``), the
answer is the best span of that kind the reader found (its best or one of its next choices,
``reader.ALTERNATIVES``), not merely its best (``answer.Answerer._of_kind``):

- "amount": "How much did it cost?", "What is her salary?": an amount of money;
- "count": "How many …?": a number, in digits or words ("four", "dozens", "none");
- "measure": "How long / old / far / high …?": a number or a length of time ("30 cm",
  "three centuries", "a decade");
- "time": "When did …?", "In what year …?", "What time …?": a date, a time, or a phrase of
  time ("after the war", "at the beginning of each session");
- "reason": "Why …?": anything but a bare number, amount or date.

The checks are loose on purpose, since they only choose among the reader's own spans: a span
that fails one is passed over for one that passes, and when none passes the reader's best
answers as before (only a money question, whose answer must be an amount, is then "not
found").
"""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["amount", "count", "measure", "time", "reason"]

#: a question asking for an amount of money ("How much did the dam cost?", "What is the
#: chief executive's salary?"); not for a change in one ("How much did revenue rise?"), nor
#: for time or things spent ("How much time did they spend?"): see ``_MONEY_ASIDE``
_MONEY_ASKED = re.compile(
    r"\bhow\s+much\b.*\b(?:costs?|costing|price[ds]?|salary|paid|pays?|revenues?|spend|spent"
    r"|spends|worth|fees?|budget|income|profits?|charge[ds]?|earn(?:s|ed)?|fund(?:s|ed)?"
    r"|invest(?:s|ed)?|wages?|fined?|donat(?:e|es|ed)|raised?|bill|contribut(?:e|es|ed)"
    r"|sell|sells|sold|buy|bought|lend|lent|borrow(?:ed)?|owe[sd]?|rent)\b"
    r"|\bwhat\s+(?:is|was|are|were)\s+(?:the\s+)?"
    r"(?:(?!(?:of|for|in|on|to|with|by|from|about)\b)[\w’'-]+\s+){0,4}"
    r"(?:cost|price|salary|fee|budget|revenue|income|profit|wage|fare|rent|bill)s?\b",
    re.IGNORECASE,
)
_MONEY_ASIDE = re.compile(
    r"\b(?:increased?|rises?|rose|risen|grew|grow[ns]?|f[ae]ll|fallen|drop(?:ped)?|declined?"
    r"|change[ds]?|percent(?:age)?|per\s+cent|share|proportion|cut|reduced?)\b"
    # "How much oil / time / of the budget …": an amount of something else
    r"|\bhow\s+much\s+(?:more\s+|less\s+)?(?!(?:did|does|do|is|was|were|are|will|would|has"
    r"|have|had|can|could|should|money|cash|funding|the|a|an|it|they|he|she|we|you|i)\b)[a-z]+"
    # "the income tax rate", "the price-to-earnings ratio", "the Budget Act", "the bill's …"
    r"|\b(?:cost|price|salary|revenue|fee|budget|income|profit|tax|fare|bill|earning)s?"
    r"(?:['’]s\b|[\s-]+(?:rates?|margins?|ratios?|growth|numbers?|act|structure|zones?"
    r"|provisions?|cap|index|list|bands?|scale|polic(?:y|ies)|war)\b|-to-)",
    re.IGNORECASE,
)
#: an amount of money: a currency sign, code or word, pence ("25p"), or "free"
_AMOUNT = re.compile(
    r"[£$€¥₹₩₽¢₺₦₱]|\b(?:usd|eur|gbp|inr|jpy|cny|rmb|aud|cad|chf|sek|nok|dkk|pln|zar|aed"
    r"|sar|nzd|hkd|sgd|brl|mxn|rs\.?|zł)(?=\s?\d)|\b(?:pounds?|dollars?|euros?|yen|francs?"
    r"|pence|cents?|livres?|guineas?|shillings?|rupees?|yuan|r[ou]+bles?|pesos?|kron[aeo]r?"
    r"|lira|lire|dirhams?|riyals?|baht|lakhs?|crores?|zł|free(?!-)|nothing)\b"
    r"|\d\s?(?:rand|kr|won|zł)\b|(?<![\d.,])\d{1,3}\s?p\b",
    re.IGNORECASE,
)
#: where a sentence ends, to keep ``an_amount`` to the span's own sentence
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z\d]|\s*$)|\n\s*\n")

_COUNT_ASKED = re.compile(r"^\W*how\s+many\b", re.IGNORECASE)
_MEASURE_ASKED = re.compile(
    r"^\W*how\s+(?:long|old|far|tall|high|big|large|deep|wide|heavy|thick|hot|cold|warm)\b",
    re.IGNORECASE,
)
#: "When did …", "In what year …", "What time does …"; not "When the vote failed, what …?"
_TIME_ASKED = re.compile(
    r"^\W*(?:when\s+(?:did|do|does|was|were|is|are|will|would|has|have|had|can|could|should"
    r"|must|might)\b|(?:(?:in|by|at|on|during|from|until|since)\s+)?(?:what|which)\s+"
    r"(?:year|date|day|month|century|decade|time|period|era|season)s?\b)",
    re.IGNORECASE,
)
_REASON_ASKED = re.compile(r"^\W*why\b", re.IGNORECASE)

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|scores?"
    r"|half|single|both|none|no|zero|nil|several|few|many|numerous|multiple|couple|once"
    r"|twice|thrice|all|each|every|majority|minority|handful|pair|tens|most|some|lots?"
)
#: a count: digits or a number word
_COUNT = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
#: words that name a date or a length of time
_DATE_WORDS = (
    r"january|february|march|april|may|june|july|august|september|october|november"
    r"|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec|spring|summer|autumn|fall"
    r"|winter|centur(?:y|ies)|millenni(?:um|a)|decades?|years?|months?|weeks?|days?|hours?"
    r"|minutes?|seconds?|(?:mon|tues|wednes|thurs|fri|satur|sun)days?|weekends?|weekdays?"
)
_TIME_WORDS = (
    _DATE_WORDS
    + r"|today|tomorrow|tonight|yesterday|now|then|ago|later|earlier|soon|recently|currently"
    r"|morning|afternoon|evening|night|noon|midnight|dawn|dusk|sunrise|sunset|before|after"
    r"|afterwards|during|until|till|since|when|whenever|while|once|age|ages|eras?|epoch"
    r"|periods?|times?|reign|dynasty|beginning|middle|end|start|late|early|mid|annually"
    r"|daily|weekly|monthly|yearly|never|always|bc|bce|ad|ce|am|pm|christmas|easter"
    r"|seasons?|sessions?|war|antiquity|medieval|ancient|modern|prehistoric|holidays?"
    r"|anniversary|birthday|term|stage|phase|first|last|next|previous"
)
#: a date, a time, or a phrase of time
_TIME = re.compile(rf"\d|\b(?:{_TIME_WORDS})\b", re.IGNORECASE)
#: a word of a bare number, amount or date ("11 percent", "£58 million", "March 2024",
#: "about 40 seconds"): a digit group, a number word, a unit of amount or of time
_BARE_WORD = re.compile(
    rf"about|around|some|nearly|almost|over|under|more|less|than|up|to|at|least|most|by|in"
    rf"|on|of|the|a|an|per|cent|percent|percentage|points?|and|or|%|[£$€¥]?\d[\d.,:/]*\w*%?"
    rf"|{_NUMBER_WORDS}|{_DATE_WORDS}|pounds?|dollars?|euros?|pence|cents?|[mbk]n?",
    re.IGNORECASE,
)
#: the words of a span, for ``_BARE_WORD`` (a number keeps its currency sign and decimals)
_SPAN_WORDS = re.compile(r"[£$€¥]?\d[\d.,:/]*\w*%?|\w+|%")


def asks_money(question: str) -> bool:
    """Whether ``question`` asks for an amount of money (``_MONEY_ASKED``, ``_MONEY_ASIDE``)."""
    return bool(_MONEY_ASKED.search(question)) and not _MONEY_ASIDE.search(question)


def expects(question: str) -> Kind | None:
    """The kind of answer ``question`` asks for, when its form says (None: any kind)."""
    if asks_money(question):
        return "amount"
    if _COUNT_ASKED.match(question):
        return "count"
    if _MEASURE_ASKED.match(question):
        return "measure"
    if _TIME_ASKED.match(question):
        return "time"
    if _REASON_ASKED.match(question):
        return "reason"
    return None


def an_amount(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is an amount of money, with what is written just around
    it in its sentence: "£412.6 million", "USD 5m", "412.6 million pounds", "25p per item"
    (not "2021" before "Mark Lee left.")."""
    before = _SENTENCE_END.split(text[max(0, start - 6) : start])[-1]
    after = _SENTENCE_END.split(text[end : end + 25])[0]
    return _AMOUNT.search(before + text[start:end] + after) is not None


def fits(kind: Kind, text: str, start: int, end: int) -> bool:
    """Whether the span ``text[start:end]`` is an answer of ``kind`` (see the module's
    docstring). An amount may show its currency just outside the span ("412.6 million
    pounds"), so the span's document ``text`` is given, not only the span."""
    span = text[start:end]
    if kind == "amount":
        return an_amount(text, start, end)
    if kind == "count":
        return _COUNT.search(span) is not None
    if kind == "time":
        return _TIME.search(span) is not None
    if kind == "measure":
        return _COUNT.search(span) is not None or _TIME.search(span) is not None
    words = _SPAN_WORDS.findall(span)
    return not words or not all(_BARE_WORD.fullmatch(w) for w in words)
