"""Say whether an edited pledge got weaker, stronger, or only changed its words — and why.

Every rule compares what the two wordings say through the cue lists of the
language file (exclusivity, negation, modality, exceptions, time rights,
retention, recipients…). A rule yields a reason pointing one way; the side with
more reasons wins, and a tie counts as weakened, because a reader would rather
check a false alarm than miss a lost promise.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from tracker.align import plain
from tracker.lang import Language, compile_phrase, load
from tracker.pledges import table_cells

# Cues whose words must not be read again by later categories ("ne ... que" is not
# a negation, "will be able to" is not a promise). Order matters.
_MASKING = (
    "vague_retention",
    "age",
    "ignore",
    "time_right",
    "exclusivity",
    "absolute",
    "negation",
    "weak_modal",
    "strong_modal",
)
_OTHER = (
    "document_names",
    "hedge",
    "exception",
    "notice",
    "consent",
    "opt_out",
    "broad",
    "exposing",
    "protective",
    "recipients",
    "purposes",
    "limiter",
)
# Read on the untouched text: "you can" is a right even though "can" is also a modal.
_FIRST = ("user_right", "second_person")
# Cues with a rule of their own: the scope rule does not count their words again.
_EXPLAINED = (
    "document_names",
    "hedge",
    "exception",
    "notice",
    "consent",
    "opt_out",
    "broad",
    "limiter",
    "user_right",
)
_DAYS = {"hour": 1 / 24, "day": 1, "week": 7, "month": 365 / 12, "year": 365}
_TOKEN = re.compile(r"[^\W_]+|[,/]")  # "_not_" (Markdown emphasis) is "not"
# A short parenthesis ("EEA"), (subprocessor), (s) glosses a word; it does not change the scope.
_GLOSS = re.compile(r"\([^()]{0,30}\)")
# "Regulation (EU) No 2016/679": a number sign, not a negation
_NUMBER_SIGN = re.compile(r"\b[Nn]o\.?\s?(?=\d)")
WEAKENED, STRENGTHENED = "weakened", "strengthened"
IN_ORDER = 0.85  # share of the shorter wording found, in order, in the longer one
MAX_SPAN = 16  # more words added or dropped than this is a new clause, not a change of scope
SAME_DURATION = 1.03  # "30 days" is "1 month" (30.4 days); "13 months" is longer than "1 year"
LIST_ITEM_WORDS = 5  # content words in a piece of an enumeration at most; longer is a clause
LIST_SHARED = 2  # items both wordings list, at least, for them to hold the same enumeration
LIST_PIECES = 3  # pieces of the old wording, at least: fewer is a sentence with a comma, not a list
PROHIBITION_WORDS = 40  # a prohibition is one short statement; a negation in a longer text may be elsewhere
_LIST_BREAK = re.compile(r"[,;:|/()\[\]+]|\s[-–*•]\s|<br\s*/?>", re.IGNORECASE)  # <br>: cells of Markdown tables
_WORD = re.compile(r"[^\W_]+")
_QUOTED = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")  # a word as a quote shows it: "l'authentification"
Item = tuple[str, ...]  # the stems of a list item's content words



@dataclass(frozen=True)
class Reason:
    code: str  # e.g. "exclusivity-removed"
    detail: str  # a sentence quoting the words: "'only' was dropped: ..."


@dataclass(frozen=True)
class _Why:
    """A reason before it is put in words: its code and the document's words it quotes.
    Put in words at the end, from the language file, in the document's language."""

    code: str
    old: str = ""
    new: str = ""
    span: str | None = None  # for a change of scope: the words added or dropped, quoted
    added: bool = True


@dataclass(frozen=True)
class Verdict:
    type: str  # unchanged | reworded | weakened | strengthened
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class Reading:
    """What one wording says, as seen through the cue lists of its language."""

    found: dict[str, tuple[tuple[str, str], ...]]  # category -> (phrase, words as written)
    durations: tuple[tuple[float, str], ...]  # (days, the words as written)
    tokens: tuple[str, ...]  # every word, lower-cased
    content: tuple[str, ...]  # the words no cue, number or duration explains, for the scope rule

    def has(self, category: str) -> bool:
        return bool(self.found.get(category))

    def phrases(self, category: str) -> set[str]:
        return {phrase for phrase, _ in self.found.get(category, ())}

    def words(self, category: str, phrases: set[str] | None = None) -> str:
        seen = [w for p, w in self.found.get(category, ()) if phrases is None or p in phrases]
        return ", ".join(f"'{w}'" for w in dict.fromkeys(seen))

    @property
    def negated(self) -> bool:
        return (self.has("negation") or self.has("absolute")) and not self.has("exclusivity")

    @property
    def restricted(self) -> bool:
        """Limited by "only", "not", "never" — or by consent ("before you agree")."""
        gated = self.has("consent") and self.has("limiter")
        return gated or self.has("negation") or self.has("absolute") or self.has("exclusivity")

    @property
    def protective(self) -> bool:
        """A right or a safeguard for the person rather than something done with the data."""
        mine = len(self.found.get("protective", ()))
        theirs = len(self.found.get("exposing", ()))
        return self.has("user_right") or mine >= theirs > 0 or mine > theirs

    @property
    def permits(self) -> bool:
        """Whether more scope means more latitude for the company."""
        return self.protective == self.negated


def read(text: str, language: Language) -> Reading:
    """Find the cues of every category in `text`, masking words already explained."""
    text = plain(text)
    masked = _NUMBER_SIGN.sub(lambda m: " " * len(m.group(0)), text)
    found: dict[str, tuple[tuple[str, str], ...]] = {}
    for category in _FIRST + _MASKING + _OTHER:
        hits = []
        for match in language.pattern(category).finditer(masked):
            hits.append((_which(language, category, match.group(0)), _cue_words(match)))
        if category == "protective":  # "data protection" names no safeguard
            generic = language.pattern("generic_practice")
            hits = [hit for hit in hits if not generic.fullmatch(hit[1])]
        found[category] = tuple(hits)
        if category in _MASKING:
            masked = _blank(language.pattern(category), masked)
    durations = _durations(masked, language)
    for category in _EXPLAINED:
        masked = _blank(language.pattern(category), masked)
    masked = _GLOSS.sub(" ", masked)
    return Reading(
        found=found,
        durations=durations,
        tokens=tuple(_TOKEN.findall(text.lower())),
        content=tuple(
            t
            for t in _TOKEN.findall(masked.lower())
            if (len(t) > 1 or t in ",/") and not t.isdigit() and t not in language.numbers
        ),
    )


def _cue_words(match: re.Match[str]) -> str:
    """The words of a cue as written, its gaps shown as "…": "ne … qu'"."""
    words, at = [], match.start()
    for number in range(1, (match.re.groups or 0) + 1):
        if match.group(number):
            words.append(match.string[at : match.start(number)].strip())
            at = match.end(number)
    words.append(match.string[at : match.end()].strip())
    return " … ".join(w for w in words if w)


def _blank(pattern: re.Pattern[str], text: str) -> str:
    """Blank out the cue's words, keeping the words inside its gaps ("ne [conservons] que")."""

    def blank(match: re.Match[str]) -> str:
        kept = [" "] * (match.end() - match.start())
        for number in range(1, (match.re.groups or 0) + 1):
            if match.group(number):
                start, end = match.span(number)
                kept[start - match.start() : end - match.start()] = match.group(number)
        return "".join(kept)

    return pattern.sub(blank, text)


def _which(language: Language, category: str, words: str) -> str:
    """The phrase of the language file that these words matched (its stem, say): the first
    in the file's order. A phrase that cannot start with the words' first letter is skipped
    uncompiled (for an ASCII letter, what IGNORECASE matches is what lower() says)."""
    start = words[:1].lower()
    fixed = start.isascii()
    for cue in language.cues[category]:
        if fixed and cue.letters is not None and start not in cue.letters:
            continue
        if compile_phrase(cue.source).fullmatch(words):
            return cue.phrase
    return words.lower()


def _durations(text: str, language: Language) -> tuple[tuple[float, str], ...]:
    found = []
    for unit, pattern in _duration_patterns(language.code):
        for match in pattern.finditer(text):
            amount = match.group(1).lower()
            value = language.numbers.get(amount) or float(amount.replace(",", "."))
            found.append((value * _DAYS.get(unit, 1), match.group(0)))
    return tuple(found)


@cache
def _duration_patterns(code: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Per unit of time, the pattern of an amount of it: "3 years", "three (3) years", "12-month"."""
    language = load(code)
    numbers = "|".join(re.escape(n) for n in sorted(language.numbers, key=len, reverse=True))
    patterns = []
    for unit, words in language.units.items():
        names = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        patterns.append((unit, re.compile(
            rf"(?<!\w)(\d+(?:[.,]\d+)?|{numbers})(?:\s*\(\d+\))?[\s-]+(?:{names})(?!\w)", re.IGNORECASE)))
    return tuple(patterns)


def classify(old: str, new: str, language: Language, regrouped: bool = False) -> Verdict:
    """Compare two wordings of one pledge.

    `regrouped`: the wordings join several pledges (a merge or a split), whose repeated
    words would read as a change of scope, so only the cue rules apply.
    """
    if old == new:
        return Verdict("unchanged")
    return _verdict(_reasons(old, new, language, regrouped), language)


def _reasons(old: str, new: str, language: Language, regrouped: bool) -> list[tuple[str, _Why]]:
    if not regrouped and (cells := _cells(old, new)):
        # a table row changes as its cells do: each changed cell on its own (a list, a
        # duration, a legal basis), rather than the words of the whole row at once
        return [reason for cell_old, cell_new in cells for reason in _reasons(cell_old, cell_new, language, False)]
    before, after = read(old, language), read(new, language)
    reasons = [
        *_restriction(before, after),
        *_presence(before, after, language),
        *_modality(before, after),
        *_consent(before, after),
        *_retention(before, after),
    ]
    if not regrouped:
        reasons += [
            *_verbs(before, after, language),
            *_swaps(before, after, language),
        ]
        if before.has("exception") == after.has("exception"):  # else the words added or dropped are what it excepts
            reasons += _lists(old, new, before, language) or _scope(old, new, before, after, language)
    return reasons


def _verdict(reasons: list[tuple[str, _Why]], language: Language) -> Verdict:
    """The way most reasons cut (weaker on a tie: a reader must see a loss), in words."""
    weaker = [_words(w, language) for direction, w in reasons if direction == WEAKENED]
    stronger = [_words(w, language) for direction, w in reasons if direction == STRENGTHENED]
    if not weaker and not stronger:
        return Verdict("reworded")
    if len(weaker) >= len(stronger):
        return Verdict(WEAKENED, tuple(dict.fromkeys(weaker)))
    return Verdict(STRENGTHENED, tuple(dict.fromkeys(stronger)))


def _words(why: _Why, language: Language) -> Reason:
    """A reason as a reader gets it, in the document's language, quoting the document."""
    sentences = language.reasons
    if why.span is None:
        it = sentences["it"]
        detail = sentences[why.code].format(old=why.old or it, new=why.new or it)
        if (why.old or why.new).count("', '"):  # several words quoted (English agrees its verb)
            detail = detail.replace(" was ", " were ", 1)
        return Reason(why.code, detail)
    verb = ("added" if why.added else "dropped") + ("_many" if "', '" in why.span else "")  # several quoted
    return Reason(why.code, sentences[verb].format(words=why.span) + sentences["join"] + sentences[why.code])


def _cells(old: str, new: str) -> list[tuple[str, str]] | None:
    """The cells of two wordings of one table row, column by column, each after the row's
    first cell (what the row is about: "Account data", "Health data"); None unless both are
    rows with the same first cell and as many cells."""
    old_cells, new_cells = table_cells(old), table_cells(new)
    if old_cells is None or new_cells is None:
        return None
    if len(old_cells) != len(new_cells) or len(old_cells) < 2 or _WORD.findall(
            old_cells[0].lower()) != _WORD.findall(new_cells[0].lower()):
        return None
    head = old_cells[0]
    return [(f"{head}: {o}", f"{head}: {n}") for o, n in zip(old_cells[1:], new_cells[1:], strict=True) if o != n]


def _reason(direction: str, code: str, old: str = "", new: str = "") -> tuple[str, _Why]:
    return direction, _Why(code, old, new)


def _flip(direction: str) -> str:
    return STRENGTHENED if direction == WEAKENED else WEAKENED


def _keep(direction: str) -> str:
    return direction


def _restriction(before: Reading, after: Reading) -> list[tuple[str, _Why]]:
    """Only / not / never: losing all of them frees the practice; "only with" ⇔ "not without"."""
    # For a right or safeguard ("you can delete only…"), a restriction limits the person.
    turn = _flip if before.protective and after.protective else _keep
    if before.restricted and not after.restricted:
        cue = _restriction_cue(before)
        return [_reason(turn(WEAKENED), f"{_GATE.get(cue, cue)}-removed", old=before.words(cue))]
    if after.restricted and not before.restricted:
        cue = _restriction_cue(after)
        return [_reason(turn(STRENGTHENED), f"{_GATE.get(cue, cue)}-added", new=after.words(cue))]
    if before.has("absolute") and not after.has("absolute") and not after.has("exclusivity"):
        return [_reason(turn(WEAKENED), "absolute-removed", old=before.words("absolute"))]
    if after.has("absolute") and not before.has("absolute") and not before.has("exclusivity"):
        return [_reason(turn(STRENGTHENED), "absolute-added", new=after.words("absolute"))]
    return []


_GATE = {"consent": "consent-gate"}  # the reason codes of a restriction named after another cue


def _restriction_cue(reading: Reading) -> str:
    """The cue that restricts a restricted wording, the strongest first; consent alone gates it
    otherwise ("once you agree")."""
    return next((c for c in ("exclusivity", "absolute", "negation") if reading.has(c)), "consent")


def _presence(before: Reading, after: Reading, language: Language) -> list[tuple[str, _Why]]:
    """Cues that weaken by appearing (hedges, exceptions) or by vanishing (time rights, notice)."""
    out = []
    exception = (WEAKENED, "exception-added"), (STRENGTHENED, "exception-removed")
    plain_practice = before.has("exposing") and not (before.negated or before.restricted or before.protective)
    excepting = " ".join(words for _, words in before.found["exception"] + after.found["exception"])
    if plain_practice and language.pattern("carve_out").search(excepting):
        # "we read your files, except health data": what a practice leaves out limits it
        exception = (STRENGTHENED, "carve-out-added"), (WEAKENED, "carve-out-removed")
    time_right = (STRENGTHENED, "time-right-added"), (WEAKENED, "time-right-dropped")
    if not (before.has("user_right") or after.has("user_right") or before.protective):
        # "We may change this policy at any time": the latitude is the company's.
        time_right = (WEAKENED, "time-latitude-added"), (STRENGTHENED, "time-latitude-removed")
    for category, gained, lost in (
        ("hedge", (WEAKENED, "qualifier-added"), (STRENGTHENED, "qualifier-removed")),
        ("exception", *exception),
        ("time_right", *time_right),
        ("notice", (STRENGTHENED, "notice-added"), (WEAKENED, "notice-dropped")),
    ):
        if after.has(category) and not before.has(category):
            out.append(_reason(gained[0], gained[1], new=after.words(category)))
        elif before.has(category) and not after.has(category):
            out.append(_reason(lost[0], lost[1], old=before.words(category)))
    return out


def _modality(before: Reading, after: Reading) -> list[tuple[str, _Why]]:
    """ "will" -> "may": a firm statement became a possibility (or the reverse)."""
    for direction, code, firm, loose in (
        (WEAKENED, "modality-softened", before, after),
        (STRENGTHENED, "modality-strengthened", after, before),
    ):
        if (
            firm.has("strong_modal")
            and not firm.has("weak_modal")
            and loose.has("weak_modal")
            and not loose.has("strong_modal")
        ):
            firm_words, loose_words = firm.words("strong_modal"), loose.words("weak_modal")
            old, new = (firm_words, loose_words) if direction == WEAKENED else (loose_words, firm_words)
            return [_reason(direction, code, old=old, new=new)]
    return []


def _consent(before: Reading, after: Reading) -> list[tuple[str, _Why]]:
    """Consent replaced by a right to object (or legitimate interest), and the reverse."""
    gained = after.phrases("opt_out") - before.phrases("opt_out")
    lost = before.phrases("opt_out") - after.phrases("opt_out")
    if gained and before.has("consent"):
        return [
            _reason(
                WEAKENED,
                "consent-to-opt-out",
                old=before.words("consent"),
                new=after.words("opt_out", gained),
            )
        ]
    if lost and after.has("consent") and not before.has("consent"):
        return [
            _reason(
                STRENGTHENED,
                "opt-out-to-consent",
                old=before.words("opt_out", lost),
                new=after.words("consent"),
            )
        ]
    if before.has("exposing") and not before.restricted and not after.restricted:
        # "data we collect with your consent" -> "data we collect": the practice no longer
        # waits for it (a gate with "only", "before" or "not" is the restriction rule's)
        if before.has("consent") and not after.has("consent"):
            return [_reason(WEAKENED, "consent-gate-removed", old=before.words("consent"))]
        if after.has("consent") and not before.has("consent"):
            return [_reason(STRENGTHENED, "consent-gate-added", new=after.words("consent"))]
    return []


def _retention(before: Reading, after: Reading) -> list[tuple[str, _Why]]:
    """Longer, or "as long as necessary" instead of a number, means data kept longer."""
    old_vague, new_vague = before.has("vague_retention"), after.has("vague_retention")
    if before.durations and after.durations:
        (old_days, old_words), (new_days, new_words) = max(before.durations), max(after.durations)
        if new_days > old_days * SAME_DURATION:
            return [_reason(WEAKENED, "retention-lengthened", f"'{old_words}'", f"'{new_words}'")]
        if new_days < old_days / SAME_DURATION:
            return [_reason(STRENGTHENED, "retention-shortened", f"'{old_words}'", f"'{new_words}'")]
    elif before.durations and new_vague and not old_vague:
        words = after.words("vague_retention")
        return [_reason(WEAKENED, "retention-made-vague", f"'{max(before.durations)[1]}'", words)]
    elif after.durations and old_vague and not new_vague:
        words = before.words("vague_retention")
        return [_reason(STRENGTHENED, "retention-limited", words, f"'{max(after.durations)[1]}'")]
    return []


def _verbs(before: Reading, after: Reading, language: Language) -> list[tuple[str, _Why]]:
    """Rights and safeguards lost or gained; practices added to or dropped from a statement."""
    out = []
    old_rights, new_rights = before.phrases("protective"), after.phrases("protective")
    if not before.negated and not after.negated:
        if old_rights - new_rights and len(new_rights) < len(old_rights):
            lost = old_rights - new_rights
            out.append(_reason(WEAKENED, "right-dropped", old=before.words("protective", lost)))
        elif new_rights - old_rights and len(new_rights) > len(old_rights) and old_rights:
            gained = new_rights - old_rights
            out.append(_reason(STRENGTHENED, "right-added", new=after.words("protective", gained)))
    old_uses = {phrase for phrase, _ in _practices(before, language)}
    new_uses = {phrase for phrase, _ in _practices(after, language)}
    if old_uses and old_uses < new_uses:
        words = after.words("exposing", new_uses - old_uses)
        out.append(_reason(WEAKENED, "practice-added", new=words) if before.permits
                   else _scope_reason(before, True, words, words.strip("'"), True, language))
    elif new_uses and new_uses < old_uses:
        words = before.words("exposing", old_uses - new_uses)
        # "we never sell or share" -> "we never share": a ban that covers less, not less done
        out.append(_reason(STRENGTHENED, "practice-removed", old=words) if before.permits
                   else _scope_reason(before, False, words, words.strip("'"), False, language))
    return out


def _swaps(before: Reading, after: Reading, language: Language) -> list[tuple[str, _Why]]:
    """One word replaced by a looser one: "and" -> "or", "share" -> "sell", "must" -> "should"."""
    out = []
    matcher = difflib.SequenceMatcher(a=before.tokens, b=after.tokens, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op != "replace" or a2 - a1 != 1 or b2 - b1 != 1:
            continue
        old_word, new_word = before.tokens[a1], after.tokens[b1]
        for swap in language.swaps:
            if swap.old.match(old_word) and swap.new.match(new_word):
                out.append(_reason(WEAKENED, swap.code, f"'{old_word}'", f"'{new_word}'"))
            elif swap.new.match(old_word) and swap.old.match(new_word):
                out.append(
                    _reason(STRENGTHENED, swap.reverse_code, f"'{old_word}'", f"'{new_word}'")
                )
    return out


def _scope(old: str, new: str, before: Reading, after: Reading, language: Language) -> list[tuple[str, _Why]]:
    """Words added or dropped inside an otherwise identical pledge.

    A span joined by "and"/"or"/"," extends a list (more data, recipients, purposes);
    a span without one qualifies a noun ("your data" -> "your health data") and
    narrows. Whether wider is weaker depends on the pledge: a practice or a
    permission gets weaker when it widens, a prohibition or a right gets stronger.
    """
    stop = language.stopwords
    # Compared on stems, so that "confirmer" -> "confirment" is not an edit.
    old_stems = [t[:4] for t in before.content]
    new_stems = [t[:4] for t in after.content]

    def meaningful(tokens: tuple[str, ...]) -> Counter:
        return Counter(t[:4] for t in tokens if t not in stop and t not in ",/")

    gained = meaningful(after.content) - meaningful(before.content)
    lost = meaningful(before.content) - meaningful(after.content)
    matcher = difflib.SequenceMatcher(a=old_stems, b=new_stems, autojunk=False)
    edits = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    old_core = [t[:4] for t in before.content if t not in stop and t not in ",/"]
    new_core = [t[:4] for t in after.content if t not in stop and t not in ",/"]
    core = difflib.SequenceMatcher(a=old_core, b=new_core, autojunk=False)
    kept = sum(block.size for block in core.get_matching_blocks())
    in_order = kept / max(1, min(len(old_core), len(new_core)))
    out = []
    if not (before.has("exposing") or before.protective or before.negated):
        return out  # no practice, right or prohibition whose scope could change
    # Only a pure insertion or deletion into a pledge whose words stay in order: a reworded
    # or reordered pledge (active -> passive) is not a change of scope.
    small = 0 < sum((gained + lost).values()) <= MAX_SPAN
    if len(edits) <= 3 and in_order >= IN_ORDER and small and bool(gained) != bool(lost):
        side, stems, surplus = (after, new_stems, gained) if gained else (before, old_stems, lost)
        span = " ".join(
            t for op in edits for t in side.content[op[3 if gained else 1] : op[4 if gained else 2]]
        )
        listed = bool({",", "/"} & set(span.split())) or bool(language.coordinators.search(span))
        words = " ".join(
            t for t, stem in zip(side.content, stems, strict=False) if surplus[stem] > 0
        )
        wider = listed == bool(gained)
        lone = not listed and len(words.split()) == 1
        qualifier = not listed and bool(gained)
        # A qualifier added ("your preferred language") or a lone word come and go in
        # rewording; only in a prohibition ("your health data") do they count.
        if before.negated or not (lone or qualifier):
            quoted = _as_written(old, new, bool(gained), set(words.split())) or words
            out.append(_scope_reason(before, wider, span, quoted, bool(gained), language))
    # "any information" -> "your diagnosis": what a prohibition covers shrank.
    if not out and before.negated and before.has("broad") != after.has("broad"):
        wider = after.has("broad")
        span = after.words("broad") if wider else before.words("broad")
        words = span.replace("'", "")
        out.append(_scope_reason(before, wider, words, words, wider, language))
    return out


def _as_written(old: str, new: str, gained: bool, words: set[str]) -> str:
    """The words added to (or dropped from) a wording as the document writes them, each run
    whole ("y compris pour l'authentification du compte", not "compris authentification
    compte"): the runs of the word-level difference that hold one of `words`."""
    old_tokens, new_tokens = list(_QUOTED.finditer(plain(old))), list(_QUOTED.finditer(plain(new)))
    matcher = difflib.SequenceMatcher(a=[t.group(0).lower() for t in old_tokens],
                                      b=[t.group(0).lower() for t in new_tokens], autojunk=False)
    side = new_tokens if gained else old_tokens
    runs = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        start, end = (b1, b2) if gained else (a1, a2)
        tokens = side[start:end]
        if op != "equal" and tokens and any(_WORD.findall(t.group(0).lower())[-1] in words for t in tokens):
            runs.append(tokens[0].string[tokens[0].start():tokens[-1].end()])
    return "', '".join(runs)


def _lists(old: str, new: str, before: Reading, language: Language) -> list[tuple[str, _Why]]:
    """Items added to or dropped from an enumeration that both wordings hold: more kinds of
    data, recipients, purposes or countries ("name, e-mail" -> "name, ID number, e-mail")
    widen the statement; fewer narrow it. An item reworded, or put in the place of another,
    changes nothing; one added here and another dropped there count both."""
    if not (before.has("exposing") or before.has("recipients") or before.protective or before.negated
            or language.pattern("data_nouns").search(old + " " + new)):
        return []
    (old_items, old_order), (new_items, new_order) = _items(old, language), _items(new, language)
    shared = old_items.keys() & new_items.keys()
    if len(shared) < LIST_SHARED or len(old_order) < LIST_PIECES:
        return []  # no enumeration common to both: a rewording, not a longer list
    added_keys = new_items.keys() - old_items.keys()
    dropped_keys = old_items.keys() - new_items.keys()
    old_known, new_known = set(shared), set(shared)
    alias: dict[Item, Item] = {}  # an item of the new wording -> the old item it rewords

    def pair(same: Callable[[Item, Item], bool]) -> None:
        for key in sorted(added_keys):
            if twin := next((d for d in sorted(dropped_keys) if same(key, d)), None):
                added_keys.discard(key)
                dropped_keys.discard(twin)
                new_known.add(key)
                old_known.add(twin)
                alias[key] = twin

    pair(_twins)  # an item reworded ("données de compte" -> "informations de compte")
    # an item put in the place of another ("e-mail" where "adresse électronique" stood)
    pair(lambda key, dropped: _same_place(_neighbours(new_order, key, alias), _neighbours(old_order, dropped, {})))
    # only beside an item both lists hold (or beside such a piece) is a piece part of the
    # list, not of a clause around it
    added = [new_items[k] for k in _in_the_list(new_order, added_keys, new_known)]
    dropped = [old_items[k] for k in _in_the_list(old_order, dropped_keys, old_known)]
    bans, guards = _forbids_list(old, before), _grants_list(before, language)
    out = []
    for wider, items, text in ((True, added, new), (False, dropped, old)):
        if items:
            words = "', '".join(sorted(items, key=text.find))
            out.append(_scope_reason(before, wider, " ".join(items), words, wider, language,
                                     bans=bans, guards=guards))
    return out


def _twins(one: Item, other: Item) -> bool:
    """Two items that name the same thing: half their words shared, or one inside the other
    ("Text" -> "Texte", "désactiver" -> "une fonction permettant de désactiver"), a word
    matching another that begins with it."""
    shared = sum(any(a.startswith(b) or b.startswith(a) for b in other) for a in one)
    return 2 * shared >= max(len(one), len(other)) or shared == min(len(one), len(other))


def _neighbours(order: list[Item | None], item: Item, alias: dict[Item, Item]) -> tuple[Item | None, Item | None]:
    """The pieces before and after an item's first place in a list, as the old wording keys them."""
    i = order.index(item)
    before, after = order[i - 1] if i else None, order[i + 1] if i + 1 < len(order) else None
    return alias.get(before, before), alias.get(after, after)


def _same_place(one: tuple[Item | None, Item | None], other: tuple[Item | None, Item | None]) -> bool:
    return any(a is not None and a == b for a, b in zip(one, other, strict=True))


def _forbids_list(text: str, reading: Reading) -> bool:
    """A short statement that rules its list out ("we never sell your name, e-mail or phone
    number"): a negation far away in a long paragraph says nothing of the list."""
    return reading.negated and not reading.protective and len(_WORD.findall(text)) <= PROHIBITION_WORDS


def _grants_list(reading: Reading, language: Language) -> bool:
    """A safeguard or a right over the listed things ("encrypted in transit and at rest", "you
    can delete your name, e-mail…"): as many safeguard words as practice words at least, a
    plain "use" not counted. "You can share photos, videos" is a practice: the right to do it
    protects nothing."""
    safeguards = len(reading.found.get("protective", ()))
    return safeguards > 0 and safeguards >= len(_practices(reading, language))


def _practices(reading: Reading, language: Language) -> list[tuple[str, str]]:
    """The practice cues of a wording, but those so general ("use", "process") that rewording
    swaps them freely."""
    generic = language.pattern("generic_practice")
    return [(phrase, words) for phrase, words in reading.found.get("exposing", ()) if not generic.fullmatch(words)]


def _items(text: str, language: Language) -> tuple[dict[Item, str], list[Item | None]]:
    """The short pieces of a wording between commas, semicolons, colons, brackets, table
    bars and coordinators ("and", "ou"), as written, keyed by their content words' stems;
    and every piece in order, by its key (None for a piece too long to be an item)."""
    pieces = _LIST_BREAK.split(language.coordinators.sub(",", _GLOSS.sub(" ", plain(text))))
    subjects = language.pattern("subject_pronouns")
    items: dict[Item, str] = {}
    order: list[Item | None] = []
    for piece in pieces:
        words = [w for w in _WORD.findall(piece.lower()) if w not in language.stopwords]
        if 0 < len(words) <= LIST_ITEM_WORDS and not subjects.search(piece):
            item = tuple(w[:5] for w in words)
            items.setdefault(item, piece.strip(" .*"))
            order.append(item)
        elif piece.strip():
            order.append(None)
    return items, order


def _in_the_list(order: list[Item | None], candidates: set[Item], known: set[Item]) -> list[Item]:
    """The candidates that stand next to a known item, or next to a candidate that does:
    "…, PayPal, Klarna and Worldline" adds both Klarna and Worldline."""
    known, found = set(known), []
    while grown := [c for c in sorted(candidates - set(found)) if _beside(order, c, known)]:
        found += grown
        known.update(grown)
    return found


def _beside(order: list[Item | None], item: Item, known: set[Item]) -> bool:
    """Whether a piece stands next to one of the known items somewhere in the wording."""
    return any(order[i] == item and ((i > 0 and order[i - 1] in known)
                                     or (i + 1 < len(order) and order[i + 1] in known))
               for i in range(len(order)))


def _scope_reason(
    before: Reading, wider: bool, span: str, words: str, added: bool, language: Language,
    bans: bool | None = None, guards: bool | None = None,
) -> tuple[str, _Why]:
    """What a wider or narrower statement means: a ban (`bans`, else read from `before`) that
    covers more is stronger, a right or safeguard (`guards`) too, a practice weaker."""
    if bans is None:
        bans, guards = before.negated and not before.protective, before.protective
    if bans:
        direction, code = (
            (STRENGTHENED, "prohibition-widened") if wider else (WEAKENED, "prohibition-narrowed")
        )
    elif guards:
        direction, code = (STRENGTHENED, "right-widened") if wider else (WEAKENED, "right-narrowed")
    else:
        kind = next(
            (k for k in ("recipients", "purposes") if language.pattern(k).search(span)), None
        )
        suffix = ("-widened", "-narrowed") if kind is None else ("-added", "-removed")
        code = (kind or "scope") + (suffix[0] if wider else suffix[1])
        direction = WEAKENED if wider else STRENGTHENED
    return direction, _Why(code, span=f"'{words}'", added=added)
