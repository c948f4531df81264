"""A short "Yes" or "No" for a yes/no question, read off the sentence that answers it.

The reader can only point at words, so a yes/no question ("Did the trust pay a dividend?")
is answered by its sentence ("The board has decided not to pay a dividend this year").
A person still wants the reply in one word. It is given only where the sentence's grammar
says it plainly, and otherwise left out (the sentence still answers):

- "No" when a negation ("not", "n't", "never", "no") governs a clause or a phrase holding
  words of the question beyond its subject: "Kestrel Aviation is *not related* to Kestrel
  Motors" answers "Is Kestrel Aviation related to Kestrel Motors?"; "The trust did not hire
  staff" does not answer "Did the trust pay a dividend?", since only "trust" is shared.
  The sentence must also hold most of the question (``NO_COVERAGE``).
- "Yes" when nothing in the sentence says no and it holds nearly all of the question
  (``YES_COVERAGE``), every name and every number of it, with no hedge ("may", "if",
  "except", "only") and no word that says no without a negation ("closed", "refused").
- Nothing when the question itself is negated ("Isn't it …?"): English replies to those
  are ambiguous.

The dependency parse comes from the same packaged spaCy pipeline the chunker uses.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Literal

from qa.bm25 import tokenize
from qa.chunking import SPACY_PIPELINE
from qa.names import asked_numbers, mentioned_numbers, runs

Reply = Literal["Yes", "No"]

#: share of the question's weight (IDF of its content words) the sentence must hold
YES_COVERAGE = 0.8
NO_COVERAGE = 0.6
#: words that negate the phrase or clause they belong to
_NEGATORS = frozenset({"not", "n't", "never", "no", "none", "nothing", "nobody", "neither", "nor"})
#: children that start a clause of their own: a negation inside one does not reach them
_CLAUSES = frozenset(
    {"ccomp", "xcomp", "parataxis", "conj", "advcl", "relcl", "acl", "csubj", "cc", "punct"}
)
_SUBJECTS = frozenset({"nsubj", "nsubjpass", "expl"})
#: "not only …, but also": a negation that adds, not denies
_ADDING = frozenset({"only", "just", "merely", "simply"})
_NEGATIVE_PREFIX = re.compile(r"(?:un|in|im|ir|il|dis|non)-?[a-z]{4,}")
#: a sentence that says yes only under a condition, or in part, or perhaps
_HEDGE = re.compile(
    r"\b(?:if|unless|whether|except|excluding|only|may|might|could|perhaps|possibly|likely"
    r"|unlikely|plans?|planned|proposed?|expects?|expected|considering|other\s+than"
    r"|apart\s+from|instead|rather|but|(?:al)?though|hop(?:e|es|ed|ing)|aims?|intends?"
    r"|order(?:s|ed)?|legend|attributed|reportedly|allegedly|rumou?r(?:s|ed)?|claims?"
    r"|claimed|believed|thought|said\s+to|should|would|sought|seeks?|asked)\b",
    re.IGNORECASE,
)
#: a question asking whether something has changed, and a sentence that speaks of now
_STILL = re.compile(r"\b(?:still|any\s?more|any\s+longer)\b", re.IGNORECASE)
_NOW = re.compile(r"\b(?:still|remains?|continues?|currently|now|today)\b", re.IGNORECASE)
#: words that say no without a negation ("The library is closed on Wednesdays")
_NEGATIVE_WORDS = re.compile(
    r"\b(?:clos(?:ed|es)|refus\w*|declin\w*|fail\w*|unable|lack\w*|ban(?:s|ned)?|cancel\w*"
    r"|postpon\w*|reject\w*|den(?:y|ies|ied)|withdr[ae]w\w*|suspend\w*|halt\w*|stopp?\w*"
    r"|abandon\w*|without|absent|missing|unavailable|unsupported|impossible|false|wrong)\b",
    re.IGNORECASE,
)


@cache
def _parser() -> Any:
    """spaCy's tagger, parser and lemmatizer (loaded once, offline; about 0.3 s)."""
    import spacy

    return spacy.load(SPACY_PIPELINE, exclude=["ner", "senter"])


def _forms(tokens: Any) -> set[str]:
    """The stems of the words and of their lemmas: "paid" holds "pay" as well as "paid"."""
    words = list(tokens)
    return _stems(" ".join(t.text for t in words)) | _stems(" ".join(t.lemma_ for t in words))


def _stems(text: str) -> set[str]:
    return set(tokenize([text])[0])


def _negated(token: Any) -> bool:
    """A word that says not, but not "not only" (which adds) and not one followed by a
    word that says not itself ("not incompatible")."""
    if not (token.dep_ == "neg" or token.lower_ in _NEGATORS):
        return False
    after = token.doc[token.i + 1 : token.i + 3]
    return not any(t.lower_ in _ADDING for t in after[:1])


def _double(token: Any) -> bool:
    """ "not incompatible", "never unhelpful": two negations, too subtle for a bare reply."""
    return any(_NEGATIVE_PREFIX.match(t.lower_) for t in token.doc[token.i + 1 : token.i + 3])


def _scope(negator: Any) -> tuple[list[Any], list[Any]]:
    """The words a negation governs, and those of them that are its clause's subject.

    A negation of a verb or an adjective ("is not related", "decided not to pay") governs
    that word's clause, without the clauses set inside it ("…, which opened a plant"); one
    of anything else governs its phrase ("no dividend", "not to all shareholders")."""
    head = negator.head
    while head.pos_ == "ADV" and head.head is not head:  # "no longer available"
        head = head.head
    if head.pos_ not in {"VERB", "AUX", "ADJ"}:
        return list(head.subtree), []
    words, subject = [head], []
    for child in head.children:
        below = list(child.subtree)
        if child.dep_ not in _CLAUSES or any(t.i == negator.i for t in below):
            words += below
            subject += below if child.dep_ in _SUBJECTS else []
    return words, subject


_HYPHENATED = re.compile(r"\w+(?:-\w+)+")


def _one_word_each(question: str, weights: dict[str, float]) -> dict[str, float]:
    """``weights`` with a hyphenated word's parts sharing its weight: "Wi-Fi" is one word
    of the question, not two ("wi", "fi")."""
    out = dict(weights)
    for word in _HYPHENATED.findall(question):
        parts = [t for t in tokenize([word])[0] if t in out]
        for t in parts:
            out[t] /= len(parts)
    return out


def _phrase(word: Any) -> list[Any]:
    """A noun's own phrase, without what a clause or a preposition adds to it: "Kestrel
    Aviation" of "Kestrel Aviation related to Kestrel Motors"."""
    out = [word]
    for child in word.children:
        if child.dep_ not in {"acl", "relcl", "prep", "appos"}:
            out += _phrase(child)
    return out


def _subject(word: Any) -> list[Any]:
    """The question's subject. "Did Brenner AG's revenue increase?" is parsed with "Did"
    as its only verb and "increase" as the subject's noun: after a bare "do", the
    subject's last word is the verb asked about."""
    phrase = _phrase(word)
    if word.head.dep_ == "ROOT" and word.head.lemma_ == "do" and word.head.pos_ != "AUX":
        phrase = [t for t in phrase if t is not word]
    return phrase


def reply(question: str, sentence: str, weights: dict[str, float]) -> Reply | None:
    """ "Yes" or "No" to the yes/no ``question`` if ``sentence`` says so plainly, else None.

    ``weights`` are the question's content-word stems with their IDF (``Question.weights``).
    """
    if not weights:
        return None
    parse = _parser()
    asked_parse = parse(question)
    if any(_negated(t) for t in asked_parse):
        return None  # "Isn't the library open?": a bare yes or no would be ambiguous
    # each content word of the question, in its forms ("pay": "pay"; "paid": "paid", "pay")
    forms = {t: {t} for t in weights}
    for token in asked_parse:
        stem = _stems(token.text)
        for t in stem & set(weights):
            forms[t] |= _stems(token.lemma_)
    subject = _forms(t for s in asked_parse if s.dep_ in _SUBJECTS for t in _subject(s))
    parsed = parse(sentence)
    held = _forms(parsed)
    weights = _one_word_each(question, weights)
    total = sum(weights.values())
    coverage = sum(v for t, v in weights.items() if forms[t] & held) / total
    for token in parsed:
        if not _negated(token):
            continue
        if _double(token) or _NEGATIVE_WORDS.search(question):
            return None  # "not incompatible"; "Has the ferry stopped?" "It no longer runs."
        scope, doer = _scope(token)
        said = _forms(scope)
        # the question's words it negates, beyond either subject ("The trust did not hire
        # staff" negates nothing "Did the trust pay a dividend?" asks about; "Hale did not
        # live to see it" nothing of "Was the bridge designed by Hale?")
        denied = said - _forms(doer)
        if any(forms[t] & denied and not forms[t] & subject for t in weights):
            plain = coverage >= NO_COVERAGE and asked_numbers(question) <= mentioned_numbers(
                sentence
            )  # "no opening date has been announced" does not deny "open in 2026"
            return "No" if plain else None
        if any(forms[t] & said for t in weights):
            return None  # it negates something about the subject: not a plain yes
    if coverage < YES_COVERAGE or _HEDGE.search(sentence):
        return None
    if _STILL.search(question) and not _NOW.search(sentence):
        return None  # "Is he still captain?" of "… captained the team for four seasons"
    if any(not forms[t] & held and not forms[t] & subject for t in weights):
        return None  # a word of what is asked beyond its subject ("grow" of "Did it grow?")
    said_no = {m.lower() for m in _NEGATIVE_WORDS.findall(sentence)}
    if said_no - {m.lower() for m in _NEGATIVE_WORDS.findall(question)}:
        return None
    if not all(forms.get(w, {w}) & held for name in runs(question, question=True) for w in name):
        return None  # a name of the question the sentence does not give
    if not asked_numbers(question) <= mentioned_numbers(sentence):
        return None
    return "Yes"
