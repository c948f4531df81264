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
#: "When did …", "In what year …", "What time does …"; not "When the vote failed, what …?",
#: nor "When should I use eco mode?", which asks for a condition ("if the load is small")
_TIME_ASKED = re.compile(
    r"^\W*(?:when\s+(?:did|do|does|was|were|is|are|will|would|has|have|had)\b|(?:(?:in|by"
    r"|at|on|during|from|until|since)\s+)?(?:what|which)\s+(?:year|date|day|month|century"
    r"|decade|time|period|era|season)s?\b(?![-'’]))",
    re.IGNORECASE,
)
_REASON_ASKED = re.compile(r"^\W*why\b", re.IGNORECASE)

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|scores?"
    r"|half|halves|third|thirds|quarters?|single|both|none|no|zero|nil|nobody|nothing"
    r"|neither|everyone|everybody|several|few|many|numerous|multiple|couple|once|twice"
    r"|thrice|all|each|every|whole|majority|minority|handful|pair|trio|tens|most|some|lots?"
)
#: a count: digits or a number word
_COUNT = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
#: words that name a date or a length of time
_DATE_WORDS = (
    r"january|february|march|april|may|june|july|august|september|october|november"
    r"|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec|spring|summer|autumn|winter"
    r"|centur(?:y|ies)|millenni(?:um|a)|decades?|years?|months?|weeks?|fortnights?|days?"
    r"|hours?|minutes?|seconds|(?:mon|tues|wednes|thurs|fri|satur|sun)days?|weekends?"
    r"|weekdays?|(?:twen|thir|for|fif|six|seven|eigh|nine)ties"
)
#: a date, a time, or a phrase of time: a date word, or a word only time is said with
#: ("yesterday", "overnight", "o'clock"), or after a preposition of time a word that may
#: be one ("at the end of the war", "in the fall", "upon retirement"); not "the first
#: floor", "the next button", "the stage manager"
_TIME = re.compile(
    rf"\d|\b(?:{_DATE_WORDS}|today|tomorrow|tonight|yesterday|ago|later|earlier|soon"
    r"|recently|currently|formerly|morning|afternoon|evening|night|noon|midday|midnight|dawn"
    r"|dusk|sunrise|sunset|lunchtime|bedtime|overnight|o['’]clock|before|after|afterwards"
    r"|during|until|till|since|when|whenever|while|once|age|ages|eras?|epoch|periods?|reign"
    r"|dynasty|annually|daily|nightly|hourly|weekly|fortnightly|monthly|yearly|never|always"
    r"|bce?|ad|ce|am|pm|christmas|easter|thanksgiving|hanukkah|ramadan|diwali|seasons?"
    r"|sessions?|antiquity|medieval|ancient|prehistoric|holidays?|anniversary|renaissance)\b"
    r"|\b(?:at|by|in|on|upon|from|to|toward|towards|around)\s+(?:(?:the|a|an|its|his|her"
    r"|their|this|that|each|every)\s+)?(?:\w+\s+)?(?:end|start|beginning|middle|close|turn"
    r"|height|outbreak|onset|death|birth|retirement|independence|graduation|marriage|war"
    r"|time|times|stage|phase|term|first|last|next|fall|launch|opening|founding|election"
    r"|conclusion|accession|coronation)\b",
    re.IGNORECASE,
)
#: a number as one word, with its currency sign, decimals and suffix ("£58", "7.15pm", "40%")
_NUMBER = r"[£$€¥]?\d[\d.,:/]*\w*%?"
#: a word of a bare number, amount or date ("11 percent", "£58 million", "March 2024",
#: "about 40 seconds"): a digit group, a number word, a unit of amount or of time
_BARE_WORD = re.compile(
    rf"about|around|some|nearly|almost|over|under|more|less|than|up|to|at|least|most|by|in"
    rf"|on|of|the|a|an|per|cent|percent|percentage|points?|and|or|%|{_NUMBER}"
    rf"|{_NUMBER_WORDS}|{_DATE_WORDS}|pounds?|dollars?|euros?|pence|cents?|[mbk]n?",
    re.IGNORECASE,
)
#: the words of a span, for ``_BARE_WORD``
_SPAN_WORDS = re.compile(rf"{_NUMBER}|\w+|%")


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
    return not _bare(span)


def _bare(span: str) -> bool:
    """Whether ``span`` is only a number, amount or date, with at most one word after a
    number that counts what it measures ("18,250 leaks", "2.4 metres", "40 °C")."""
    words = _SPAN_WORDS.findall(span)
    other = [n for n, w in enumerate(words) if not _BARE_WORD.fullmatch(w)]
    if not other:
        return True
    if len(other) > 1 or other[0] == 0:
        return False
    before = words[other[0] - 1]
    return before[-1].isdigit() or _COUNT.fullmatch(before) is not None
