"""A short "Yes" or "No" for a yes/no question, read off the sentence that answers it.

The reader can only point at words, so a yes/no question ("Did the trust pay a dividend?")
is answered by its sentence ("The board has decided not to pay a dividend this year").
A person still wants the reply in one word. It is given only where the sentence says it
plainly, and otherwise left out (the sentence still answers): a wrong "Yes" is worse than
none.

- "No" when a negation ("not", "n't", "never", "no") governs a clause or a phrase holding
  words of the question beyond its subject: "Kestrel Aviation is *not related* to Kestrel
  Motors" answers "Is Kestrel Aviation related to Kestrel Motors?"; "The trust did not hire
  staff" does not answer "Did the trust pay a dividend?", since only "trust" is shared.
  The sentence must also hold most of the question (``NO_COVERAGE``) and its numbers.
- "No" when the sentence holds every word asked, one of them as its opposite
  (``_OPPOSITES``: "closed" for "open", "fell" for "increase") or after "refused to",
  "failed to", said of the question's subject ("The museum is closed on Mondays"; not "the
  museum's café is").
- "Yes" when the sentence holds every word, number and code ("Block A") of the question
  (its subject may be "it"), its main word ("going" of "Is the rent going up?"), nothing
  that says no, and no hedge ("may", "if", "except", "only", "reportedly").
- Nothing when the question itself is negated ("Isn't it …?"): English replies to those
  are ambiguous; nor for two negations ("not incompatible", "is not closed").

Precision and recall on written sets: ``benchmarks/yes_no.py``.
The dependency parse comes from the same packaged spaCy pipeline the chunker uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, Literal

from qa.bm25 import tokenize
from qa.chunking import SPACY_PIPELINE
from qa.names import asked_numbers, mentioned_numbers

Reply = Literal["Yes", "No"]

#: share of the question's weight (IDF of its content words) a sentence saying no must hold
NO_COVERAGE = 0.6
#: longer text is no sentence (and parsing it would take long): no reply
MAX_SENTENCE = 2_000
#: words that doubt what follows them: "Critics dispute that …", "It is a myth that …"
_DOUBT = frozenset({"deny", "dispute", "doubt", "myth", "rumour", "rumor", "unconfirmed", "false"})
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
_PREFIXED = re.compile(r"\b(non-?|un-?|in|im|il|ir|dis)([a-z]{3,})\b", re.IGNORECASE)
#: a sentence that says yes only under a condition, or in part, or perhaps
_HEDGE = re.compile(
    r"\b(?:if|unless|whether|except|excluding|only|may|might|could|perhaps|possibly|likely"
    r"|unlikely|plan(?:s|ned|ning)?\s+to|proposed?|expects?|expected|considering|other\s+than"
    r"|apart\s+from|instead|rather|but|(?:al)?though|hop(?:e|es|ed|ing)|aims?|intends?"
    r"|order(?:s|ed)?|legend|attributed|reportedly|allegedly|rumou?r(?:s|ed)?|claims?"
    r"|claimed|believed|thought|said\s+to|should|would|sought|seeks?|asked|nearly|almost"
    r"|barely|hardly|scarcely|few|partly|partially|former(?:ly)?|until|used\s+to|will"
    r"|from\s+\S+\s+to)\b",
    re.IGNORECASE,
)
#: words that say the opposite of each other, by lemma: "The museum is closed on Mondays"
#: answers "Is the museum open on Mondays?" with no
_OPPOSITES = [
    ({"open"}, {"close", "closed", "shut"}),
    ({"approve", "accept", "agree", "grant"}, {"reject", "refuse", "decline", "veto", "deny"}),
    ({"include"}, {"exclude"}),
    ({"allow", "permit"}, {"ban", "prohibit", "forbid", "bar"}),
    (
        {"increase", "rise", "grow", "gain", "climb", "expand"},
        {"fall", "drop", "decline", "decrease", "shrink", "slip", "plunge", "slump"},
    ),
    ({"win"}, {"lose"}),
    ({"pass", "succeed"}, {"fail"}),
    ({"survive", "live"}, {"die"}),
    ({"add"}, {"remove"}),
    ({"support"}, {"oppose"}),
    ({"indoors", "indoor", "inside"}, {"outdoors", "outdoor", "outside"}),
    ({"available"}, {"unavailable"}),
    ({"possible"}, {"impossible"}),
    ({"legal"}, {"illegal"}),
    ({"safe"}, {"unsafe", "dangerous"}),
    ({"suitable"}, {"unsuitable"}),
    ({"compatible"}, {"incompatible"}),
    ({"valid"}, {"invalid", "void"}),
    ({"present"}, {"absent"}),
    ({"true"}, {"false"}),
]
_OPPOSITE = {a: b for one, other in _OPPOSITES for a, b in ((w, other) for w in one)} | {
    a: b for one, other in _OPPOSITES for a, b in ((w, one) for w in other)
}
#: "The minister refused to resign": the verb after one of these did not happen
_NOT_DONE = frozenset({"refuse", "decline", "fail"})
#: subjects that stand in for one named before (``_stands_in``)
_STANDING_IN = frozenset({"it", "they", "he", "she", "this", "these", "we"})
#: a letter or code that tells things apart: "Block A", "the T2", "error E4", "Level 3B"
_CODE = re.compile(r"(?<=\s)(?:[A-Z]|[A-Z]+\d\w*|\d+[A-Z]\w*)(?=[\s?.,!]|$)")
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
    return set().union(*(_word_forms(t.text, t.lemma_) for t in tokens))


@lru_cache(maxsize=4096)
def _word_forms(text: str, lemma: str) -> frozenset[str]:
    """One word's ``_forms``, cached: the rules ask for the same words' forms many times."""
    return frozenset(_stems(text) | _stems(lemma))


def _stems(text: str) -> set[str]:
    return set(tokenize([text])[0])


def _negated(token: Any) -> bool:
    """A word that says not, but not the "not" of "not only" (which adds)."""
    if not (token.dep_ == "neg" or token.lower_ in _NEGATORS):
        return False
    after = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
    return after is None or after.lower_ not in _ADDING


def _double(token: Any) -> bool:
    """ "not incompatible", "never unhelpful": two negations, too subtle for a bare reply.
    un-/non- negate any word; in-/im-/il-/ir-/dis- only an adjective's ("not included"
    is one negation)."""
    return any(_prefix_negates(t) for t in token.doc[token.i + 1 : token.i + 3])


def _prefix_negates(token: Any) -> bool:
    m = _NEGATIVE_PREFIX.fullmatch(token.lower_)
    return bool(m) and (token.lower_.startswith(("un", "non")) or token.pos_ == "ADJ")


def _scope(negator: Any) -> tuple[list[Any], list[Any]]:
    """The words a negation governs, and those of them that are its clause's subject.

    A negation of a verb or an adjective ("is not related", "decided not to pay") governs
    that word's clause, without the clauses set inside it ("…, which opened a plant"); one
    of anything else governs its phrase ("no dividend", "not to all shareholders")."""
    head = negator.head
    while head.head.i != head.i and (head.pos_ == "ADV" or head.dep_ in {"aux", "auxpass"}):
        head = head.head  # "no longer available"; "have not yet been reviewed"
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
        if child.dep_ not in {"acl", "relcl", "prep", "appos", "amod"}:  # "vegan" is asked
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


def _says_no(token: Any) -> bool:
    return token.lemma_.lower() in _NOT_DONE or bool(_NEGATIVE_WORDS.fullmatch(token.text))


def _opposed(asked: _Asked, parsed: Any) -> tuple[set[str], set[str]]:
    """The question's words the sentence says the opposite of, said of the question's
    subject: by a word of opposite meaning (``_OPPOSITES``), and by the word itself after
    "refused to", "declined to", "failed to"."""
    forms = asked.forms
    asked_undone = any(w in _NOT_DONE for said in asked.lemmas.values() for w in said)
    contrary: set[str] = set()
    undone: set[str] = set()
    for token in parsed:
        doer = _doer(token)
        if doer is not None and not _forms([doer]) & asked.said:
            continue  # said of something else: "the museum's café is closed"
        for t, opposite in asked.opposites.items():
            if token.lemma_.lower() in opposite or token.lower_ in opposite:
                contrary.add(t)
            if (  # "refused to resign"; not of "Did it fail to meet …?"
                not asked_undone
                and forms[t] & _forms([token])
                and token.dep_ == "xcomp"
                and token.head.lemma_.lower() in _NOT_DONE
            ):
                undone.add(t)
    return contrary, undone


def _predicate(question: Any) -> Any:
    """What the question asks of its subject: its main verb ("Is the rent *going* up?"),
    or after "is" or "do" the word that says it ("Is the jug dishwasher *safe*?"); None when
    there is no telling."""
    root = next((t for t in question if t.dep_ == "ROOT"), None)
    if root is None:
        return None
    if root.lemma_.lower() not in {"be", "do", "have"} and root.pos_ != "AUX":
        return root
    said = [t for t in root.children if t.dep_ in {"acomp", "attr", "oprd", "xcomp", "ccomp"}]
    subjects = [t for t in root.children if t.dep_ in _SUBJECTS]
    if not said and root.lemma_.lower() == "do":  # "Did Brenner AG's revenue increase?"
        said = subjects
    if not said:  # "Is the drug approved for children?", parsed as "the drug approved …"
        said = [c for t in subjects for c in t.children if c.dep_ == "acl"]
    return said[0] if said else None


def _doer(token: Any) -> Any:
    """The head word of the subject of ``token``'s clause, or None (a fragment: "Closed on
    Mondays")."""
    while True:
        for child in token.children:
            if child.dep_ in _SUBJECTS:
                return child
        if token.head.i == token.i or token.dep_ in _CLAUSES - {"xcomp"}:
            return None
        token = token.head


@dataclass
class _Asked:
    """What a yes/no question asks, as the rules below read it."""

    text: str
    weights: dict[str, float]  # content-word stem -> weight (a hyphenated word's parts share)
    forms: dict[str, set[str]]  # each stem with the stems of its lemmas
    lemmas: dict[str, set[str]]  # each stem's words and lemmas, lower case
    subject: set[str]  # the forms of its subject's words
    adjectives: set[str]  # the forms of its adjectives ("expensive", "honest")
    predicate: Any  # the word that says what it asks of the subject (``_predicate``)
    #: derived: every form of every word, and each word's opposites (``_OPPOSITES``)
    said: set[str] = field(init=False)
    opposites: dict[str, set[str]] = field(init=False)
    contrary: set[str] = field(init=False)  # all the opposites together

    def __post_init__(self) -> None:
        self.said = set().union(*self.forms.values())
        self.opposites = {
            t: set().union(*(_OPPOSITE.get(w, set()) for w in said))
            for t, said in self.lemmas.items()
        }
        self.contrary = set().union(*self.opposites.values())


def _asked(question: str, weights: dict[str, float]) -> _Asked | None:
    """The question read for replying, or None when a bare reply would be ambiguous
    ("Isn't the library open?")."""
    parse = _parser()(question)
    if any(_negated(t) for t in parse):
        return None
    forms = {t: {t} for t in weights}
    lemmas: dict[str, set[str]] = {t: set() for t in weights}
    for token in parse:
        for t in _stems(token.text) & set(weights):
            forms[t] |= _stems(token.lemma_)
            lemmas[t] |= {token.lower_, token.lemma_.lower()}
    subject = _forms(t for s in parse if s.dep_ in _SUBJECTS for t in _subject(s))
    weights = _one_word_each(question, weights)
    adjectives = _forms(t for t in parse if t.pos_ == "ADJ")
    return _Asked(question, weights, forms, lemmas, subject, adjectives, _predicate(parse))


def reply(question: str, sentence: str, weights: dict[str, float]) -> Reply | None:
    """ "Yes" or "No" to the yes/no ``question`` if ``sentence`` says so plainly, else None.

    ``weights`` are the question's content-word stems with their IDF (``Question.weights``).
    """
    asked = _asked(question, weights) if weights else None
    if asked is None:
        return None
    if len(sentence) > MAX_SENTENCE or sentence.rstrip().endswith("?"):
        return None  # a question answers nothing; a "sentence" this long is no sentence
    parsed = _parser()(sentence)
    held = _forms(parsed)
    total = sum(asked.weights.values())
    coverage = sum(v for t, v in asked.weights.items() if asked.forms[t] & held) / total
    # the numbers asked, but not those of a code ("T2"), checked as codes below
    numbered = asked_numbers(_CODE.sub(" ", question)) <= mentioned_numbers(sentence)
    denied = _denied(asked, parsed)
    if denied is not None:  # a negation of the question's words decides
        return "No" if denied and coverage >= NO_COVERAGE and numbered else None
    if {h.lower() for h in _HEDGE.findall(sentence)} - {
        h.lower() for h in _HEDGE.findall(question)
    }:
        return None  # "may", "if", "reportedly": not plainly (unless the question says so too)
    # a word of the subject may be missing where the sentence says "it" or "they" instead
    unsaid = asked.subject if any(_stands_in(t) for t in parsed) else set()
    missing = {t for t in asked.weights if not asked.forms[t] & (held | unsaid)}
    codes = [c for c in _CODE.findall(question) if not _stems(c) or not _stems(c) <= unsaid]
    if not all(re.search(rf"\b{re.escape(c)}\b", sentence) for c in codes):
        return None  # about Block B, asked of Block A; about the T2, asked of the T3
    contrary, undone = _opposed(asked, parsed)
    if (missing and missing <= contrary) or (undone and not missing):
        # every word asked is there, one as its opposite: "closed on Mondays" for "open on
        # Mondays", or after "refused to": "refused to resign" for "resign"
        return "No" if numbered else None
    if missing or not numbered:
        return None  # a word, a name or a number of what is asked is not said
    if _STILL.search(question) and not _NOW.search(sentence):
        return None  # "Is he still captain?" of "… captained the team for four seasons"
    if asked.predicate is not None and not _forms([asked.predicate]) & held:
        return None  # "Is the rent going up?" of "Rents will remain frozen this year"
    said_no = {m.lower() for m in _NEGATIVE_WORDS.findall(sentence)}
    if said_no - {m.lower() for m in _NEGATIVE_WORDS.findall(question)}:
        return None  # "closed", "refused" with no opposite asked: not a plain yes
    if _doubted(asked, parsed):
        return None  # "Police did not confirm that the suspect was arrested"
    if not _same_subject(asked, parsed):
        return None  # "The vice president signed the bill" for "the president"
    return "Yes"


def _doubted(asked: _Asked, parsed: Any) -> bool:
    """Whether a negation or a word of doubt governs a word of the question from above:
    "did not confirm that …", "Nothing suggests …", "neither vegetarian nor vegan", "It is
    a myth that …" (a negation beside them, "the base is not", does not)."""
    asked_at = {t.i for t in parsed if _forms([t]) & asked.said}
    for token in parsed:
        if not (_negated(token) or token.lower_ == "neither" or token.lemma_.lower() in _DOUBT):
            continue
        head = token if token.lemma_.lower() in _DOUBT else token.head
        if any(t.i in asked_at for t in _reach(head, token.lower_ == "neither")):
            return True
    return False


def _reach(head: Any, both: bool) -> list[Any]:
    """What a negation or doubt at ``head`` governs: its phrase, and what a verb says is
    so ("did not confirm that …"); not a clause set beside it ("the jug is safe; the base
    is not"), nor the other half of an "and" (unless ``both``: "neither … nor …")."""
    out = [head]
    for child in head.children:
        if child.dep_ in {"parataxis", "advcl", "relcl", "punct"}:
            continue
        if child.dep_ in {"conj", "cc"} and not both:
            continue
        if child.dep_ == "ccomp" and head.pos_ != "VERB":
            continue
        out += child.subtree
    return out


def _same_subject(asked: _Asked, parsed: Any) -> bool:
    """Whether the clause saying the question's main word is about the question's subject:
    its subject's head word is one of the question's, and every noun set before it is too
    ("the museum shop", "the vice president" are not "the museum", "the president")."""
    if asked.predicate is None:
        return True
    said = _forms([asked.predicate])
    for token in parsed:
        if not _forms([token]) & said:
            continue
        doer = _doer(token)
        if doer is None or doer.lower_ in _STANDING_IN or doer.pos_ == "PRON":
            continue
        words = [doer, *(c for c in doer.children if c.dep_ in {"compound", "amod", "poss"})]
        if any(not _forms([w]) & (asked.subject | asked.said) for w in words if _forms([w])):
            return False
    return True


def _stands_in(token: Any) -> bool:
    """A subject that stands in for one named before, followed by its verb: "It works with
    Alexa" (not "which", nor "This" of "This vegetarian stew")."""
    after = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
    return (
        token.dep_ in _SUBJECTS
        and token.lower_ in _STANDING_IN
        and after is not None
        and after.pos_ in {"VERB", "AUX", "ADV", "PART"}
    )


def _unsaid_by_prefix(asked: _Asked, parsed: Any) -> bool | None:
    """Whether the sentence says a word of the question with a prefix that negates it
    ("non-live", "unpaid"; "inexpensive", "dishonest" only for an adjective of the
    question, not "inform" for "form"): True; False for a double negation ("not
    uncommon"); None when it does not."""
    said = asked.said
    for m in _PREFIXED.finditer(parsed.text):
        prefix, rest = m[1].lower(), m[2].lower()
        if re.search(rf"\b{re.escape(m[0])}\b", asked.text, re.IGNORECASE):
            continue  # the word itself is asked: "Is the door unlocked?"
        if not _stems(rest) & said:
            continue
        if not (prefix.startswith(("non", "un")) or _stems(rest) & asked.adjectives):
            continue
        word = parsed.char_span(m.start(), m.end(), alignment_mode="expand")
        last = word[-1] if word is not None and len(word) else None
        if last is None or not (last.pos_ == "ADJ" or last.tag_ == "VBN"):
            continue  # "uncovered the story" is no "not covered"; "unpaid", "unlocked" are
        doer = _doer(last)
        if doer is not None and doer.lower_ not in _STANDING_IN and not _forms([doer]) & said:
            continue  # said of something else: "the lid is unsafe"
        before = parsed.text[: m.start()].split()[-1:]
        return not (before and before[0].lower().strip(",;") in _NEGATORS | {"n't"})
    return None


def _denied(asked: _Asked, parsed: Any) -> bool | None:
    """True when a negation of the sentence denies what is asked; False when one touches
    the question's words without plainly denying them; None when none does."""
    prefixed = _unsaid_by_prefix(asked, parsed)
    if prefixed is not None:
        return prefixed  # "a non-live vaccine" for "a live vaccine"; not "not uncommon"
    for token in parsed:
        if not _negated(token):
            continue
        if _double(token) or _NEGATIVE_WORDS.search(asked.text):
            return False  # "not incompatible"; "Has the ferry stopped?" "It no longer runs."
        scope, doer = _scope(token)
        if any(_says_no(t) or t.lemma_.lower() in asked.contrary for t in scope):
            return False  # "is not closed", "did not refuse", "not permitted": two negations
        said = _forms(scope)
        # the question's words it negates, beyond either subject ("The trust did not hire
        # staff" negates nothing "Did the trust pay a dividend?" asks about; "Hale did not
        # live to see it" nothing of "Was the bridge designed by Hale?")
        denied = said - _forms(doer)
        forms = asked.forms
        predicate = _forms([asked.predicate]) if asked.predicate is not None else set()
        if any(forms[t] & denied and not forms[t] & asked.subject for t in asked.weights):
            # and what it negates is what is asked: "approved for adults; it has not been
            # tested in children" does not deny "approved for children"
            return not predicate or bool(predicate & said)
        if any(forms[t] & said for t in asked.weights):
            return False  # it negates something about the subject: not a plain reply
    return None
