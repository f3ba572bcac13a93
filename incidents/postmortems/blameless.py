"""The blameless-language checker: finds blame and hindsight-bias language in postmortem text.

Pure Python: no network, no model, no Django. `check(text, people, extra)` returns findings,
each with character offsets into `text`, a one-line reason and a system-focused suggestion.

Three kinds of rule:

- phrases that are blameful wherever they appear ("human error", "careless", "X's fault",
  "if only", "could easily have" ...);
- failure verbs ("failed to", "missed", "broke", "didn't check" ...) that are blameful only
  when their subject is a person: a name or email from the incident, a common first name
  written with its capital (first_names.txt: "Kevin should have waited" names a person even
  when Kevin was not on the incident), a pronoun, or a word for a person ("the engineer",
  "the administrator", "the release manager"). "The deploy failed to start" is a system
  doing something and is not flagged; "Tom failed to start the deploy" is;
- hindsight ("should have"): flagged with a person subject or in the passive ("should have
  been caught"), not for a system's expected behaviour ("the alert should have fired at
  14:02 and did").

Quoted text ("..." and `...`) is never flagged: quoting what someone said or what a ticket
was called is reporting, not judging.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MAX_TEXT = 100_000  # characters; longer text is refused (413) by the API
MAX_SUBJECT = 150  # characters before a verb searched for its subject
FIRST_NAMES: frozenset[str] = frozenset(
    word
    for line in (Path(__file__).with_name("first_names.txt")).read_text("utf-8").splitlines()
    if not line.startswith("#")
    for word in line.split()
)


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    text: str
    reason: str
    suggestion: str


@dataclass(frozen=True)
class Rule:
    """A phrase rule. `pattern` is a regular expression (case-insensitive); with
    `needs_person`, the match counts only when a person is the clause's subject."""

    pattern: str
    reason: str
    suggestion: str
    needs_person: bool = False

    @classmethod
    def phrase(cls, phrase: str, reason: str, suggestion: str) -> Rule:
        """A plain phrase (as admins enter them), matched as whole words."""
        words = r"\s+".join(re.escape(word) for word in phrase.split())
        return cls(rf"(?<!\w){words}(?!\w)", reason, suggestion)


BLAME = "Names a person's failing instead of what the system allowed."
HINDSIGHT = "Hindsight: judges a past decision by an outcome nobody knew yet."
COUNTERFACTUAL = "Counterfactual: describes what did not happen instead of what did."
PERSON_FAILURE = "A person is the subject of a failure: the sentence looks for a culprit."

DESCRIBE = (
    "Describe what happened and what made it possible (the tooling, the process, the signals)."
)
CONDITIONS = "Describe the conditions: what the person saw, knew and was asked to do at the time."

RULES: list[Rule] = [
    Rule(
        r"\b(?:human|operator|user|engineer|pilot)\s+error\b",
        BLAME,
        'Name the condition that let the action cause harm, e.g. "the tool ran the command '
        'against production without a confirmation".',
    ),
    Rule(
        r"\bcareless(?:ly|ness)?\b|\bnegligen(?:t|ce|tly)\b|\bsloppy\b|\blazy\b|"
        r"\bincompeten(?:t|ce)\b|\binexcusable\b|\bno excuse\b",
        BLAME,
        "Drop the judgement; describe the action and what made it easy to take.",
    ),
    Rule(
        r"\bmistake(?:s|n|nly)?\b|\boversight\b|\bdropped the ball\b|\basleep at the wheel\b|"
        r"\brubber[- ]stamp(?:ed|ing)?\b|\bbotched\b|\bscrewed up\b|\bmessed up\b",
        BLAME,
        DESCRIBE,
    ),
    Rule(
        r"\b(?:not|n't|wasn't|weren't)\s+paying\s+attention\b|\bpaid attention\b|"
        r"\b(?:more|be|was|were|wasn't|weren't|not)\s+careful(?:\s+enough)?\b|\bmore care\b|"
        r"\bmore experienced\b|\bnot doing (?:their|his|her|my|our) job\b|\bgot it wrong\b|"
        r"\b(?:just|simply) had to\b|\brushed\b|"
        r"\b(?:poor|bad|wrong|questionable|terrible|reckless)\s+(?:call|decision|judge?ment)s?\b|"
        r"\black\s+of\s+(?:attention|care|diligence|rigou?r|ownership|judge?ment|discipline|"
        r"professionalism|accountability)\b|"
        r"\bmore\s+(?:diligen(?:t|ce)|attentive)\b",
        BLAME,
        "Ask what made the action reasonable at the time, and write that down instead.",
    ),
    Rule(
        r"(?:\b\w+'s|\b(?:my|our|his|her|their|your))\s+fault\b|\bat fault\b|"
        r"\b(?:is|are|was|were)\s+to\s+blame\b|\bwe\s+blame\b|\bblame\s+the\b|"
        # "the blame lies with ...", "blame for the outage rests squarely on ..."
        r"\bblame\b(?:\s+[\w'-]+){0,6}?\s+(?:lies|lie|goes|falls|rests|sits|belongs)\b|"
        # "hold the release manager accountable", "should be held responsible"
        # ("we do not hold anyone accountable" says the opposite)
        r"(?<!not\s)(?<!n't\s)(?<!never\s)\bh(?:old|olds|olding|eld)\b(?:\s+[\w'-]+){0,5}?\s+"
        r"(?:accountable|responsible)\b",
        BLAME,
        "Contributing factors, not fault: describe what in the system let this happen.",
    ),
    Rule(
        r"\b\w+'s\s+(?:error|failure|carelessness|negligence|decision)\b",
        BLAME,
        "Describe the action and its context without attributing the failure to the person.",
        needs_person=True,
    ),
    Rule(
        r"\b(?:engineer|person|people|individual|developer|operator)s?\s+(?:responsible|"
        r"involved)\b|\b(?:is|was|are|were)\s+responsible\s+for\s+the\s+(?:outage|incident|"
        r"failure)\b|\breminded to\b|\bremoved from the on-?call\b",
        BLAME,
        "Postmortems name contributing factors and owners of fixes, not people responsible.",
    ),
    Rule(
        # Systems do not forget: whoever "forgot", it is a person, named or not.
        r"\bforg(?:ot|otten|etting)\b",
        PERSON_FAILURE,
        CONDITIONS,
    ),
    Rule(
        r"\bif only\b",
        COUNTERFACTUAL,
        "State what happened and which signal or safeguard was missing.",
    ),
    Rule(
        r"\bcould\s+(?:easily\s+)?have\s+(?:easily\s+)?(?:been\s+)?(?:prevented|avoided|caught|"
        r"seen|noticed|known|rolled|stopped)\b|\bcould easily have\b|\bentirely avoidable\b|"
        r"\bavoidable\b|\bwould never have happened\b|\bnone of this would have\b",
        HINDSIGHT,
        "Describe what was visible at the time and what would make the risk visible next time.",
    ),
    Rule(
        r"\b(?:clearly|obviously)\b|\bshould have been obvious\b|\bshould have known\b|"
        r"\bshould've known\b|\bknown better\b|"
        # "it was obvious" (but "it was not obvious" describes the conditions: fine)
        r"\b(?:was|were|seemed)\s+(?:so\s+|pretty\s+|quite\s+)?obvious\b",
        HINDSIGHT,
        "What is obvious now was not obvious then; describe what the person could see.",
    ),
]

# A failure verb counts when a person is its subject.
FAILURE_VERBS = (
    r"failed\s+to|forgot(?:\s+to)?|neglected(?:\s+to)?|didn't\s+bother|did\s+not\s+bother|"
    r"missed|ignored|overlooked|broke|caused|misconfigured|skipped|accidentally|incorrectly|"
    r"wrongly|(?:was|were)\s+(?:too|far\s+too|very)\s+slow|(?:was|were)\s+slow\s+to|"
    r"took\s+(?:too|far\s+too|way\s+too)\s+long|(?:was|were)\s+distracted|"
    r"(?:was|were)\s+supposed\s+to|"
    r"(?:didn't|did\s+not|don't|do\s+not)\s+(?:check|test|read|notice|respond|think|verify|"
    r"understand|wait|escalate|ask|review|look)|"
    # Not following a process: "did not follow the change management process"
    r"(?:didn't|did\s+not|don't|do\s+not|failed\s+to|never|refused\s+to)\s+follow(?:ed)?"
    r"(?:\s+[\w-]+){0,4}?\s+(?:process|runbook|procedure|policy|escalation|checklist|"
    r"playbook|steps|guidelines?|protocol|rules)|"
    r"bypassed|circumvented|disregarded|violated|flouted|"
    r"against\s+(?:the\s+|our\s+)?(?:[\w-]+\s+)?(?:policy|process|procedure|rules|guidelines)|"
    r"without\s+(?:understanding|thinking|checking|reading|testing|asking|"
    r"(?:a\s+|any\s+)?(?:second\s+|peer\s+)?(?:review|reviewer|approval|sign-?off|tests?))|"
    r"(?:pushed|shipped|deployed|merged|released|committed)\s+(?:a|an|the)\s+"
    r"(?:bad|broken|faulty|buggy|untested)|"
    # "ran the script on the wrong host", "picked the wrong cluster"
    r"(?:made|pressed|ran|chose|picked|restarted|typed|edited|deployed|applied|selected|"
    r"clicked|deleted|targeted|used)(?:\s+[\w.-]+){0,4}?\s+the\s+wrong|made\s+a\s+mistake"
)
HINDSIGHT_MODAL = (
    r"should\s+have|should've|shouldn't\s+have|should\s+not\s+have|should\s+never\s+have|"
    r"ought\s+to\s+have"
)
# Where a clause (and so a subject) starts.
CLAUSE_BOUNDARY = re.compile(
    r"[,;:()\u2014]|\b(?:because|but|and|so|when|while|after|since|although|though|then|"
    r"until|where|if|as)\b",
    re.IGNORECASE,
)
PERSON_WORDS = (
    r"i|we|he|she|they|someone|somebody|anyone|everybody|everyone|engineers?|developers?|devs?|"
    r"operators?|on-?call|on\s+call|reviewers?|responders?|dbas?|sres?|interns?|commander|"
    # ("lead to", "leads to" are verbs: "a full disk can lead to missed pages")
    r"leads?(?!\s+to\b)|new\s+hire|contractors?|person|people|teams?|staff|employees?|"
    r"humans?|admins?|administrators?|sysadmins?|analysts?|architects?|technicians?|testers?|maintainers?|"
    r"approvers?|owner|author|"
    # A bare "manager" is as often software (the package, secrets or certificate manager).
    r"(?:release|account|engineering|product|project|program|delivery|change|shift|duty|"
    r"support|it|ops|line)\s+managers?"
)
QUOTED = re.compile(r"\"[^\"\n]*\"|\u201c[^\u201d\n]*\u201d|`[^`\n]*`")
# A sentence ends at . ! ? followed by a space or the end ("tom.becker@example.com" and
# "v2.4.0" stay whole) or at a line break.
SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=[^\s.!?]))+(?:[.!?]+|$)", re.MULTILINE)


def _people_pattern(people: Iterable[str]) -> re.Pattern[str]:
    """Words that name a person: the incident's people (full names, first and last names,
    emails and their local parts) and the generic words for people."""
    names: set[str] = set()
    for person in people:
        person = (person or "").strip()
        if not person:
            continue
        names.add(re.escape(person))
        if "@" in person:
            names.add(re.escape(person.split("@")[0]))
        else:
            names.update(re.escape(part) for part in person.split() if len(part) > 1)
    # Common first names count only as written, capitalised: "Mark" is a name, "mark" a verb.
    given = "(?-i:" + "|".join(sorted(FIRST_NAMES, key=len, reverse=True)) + ")"
    alternatives = "|".join([*sorted(names, key=len, reverse=True), PERSON_WORDS, given])
    return re.compile(rf"(?<![\w.@-])(?:{alternatives})(?:'s)?(?![\w@-])", re.IGNORECASE)


def _mask_quotes(text: str) -> str:
    """The text with quoted spans blanked out, keeping every offset."""
    return QUOTED.sub(lambda m: " " * len(m.group()), text)


def _subject(sentence: str, before: int) -> str:
    """The words between the start of the clause and position `before`, at most
    MAX_SUBJECT characters of them (cut at a space): a subject is the few words before its
    verb, and the bound keeps a long run-on text (no punctuation, many verbs) linear."""
    start = max(0, before - MAX_SUBJECT)
    if start:
        space = sentence.find(" ", start, before)
        start = before if space < 0 else space + 1
    for boundary in CLAUSE_BOUNDARY.finditer(sentence, start, before):
        start = boundary.end()
    return sentence[start:before]


def _person_finding(
    sentence: str, offset: int, match: re.Match[str], people: re.Pattern[str]
) -> tuple[int, int] | None:
    """The span from the person to the end of `match`, when a person is its subject."""
    subject = _subject(sentence, match.start())
    persons = list(people.finditer(subject))
    if not persons:
        return None
    person = persons[-1]  # the nearest to the verb
    start = match.start() - len(subject) + person.start()
    return offset + start, offset + match.end()


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    # Bounded: patterns that embed an incident's people differ per incident.
    return re.compile(pattern, re.IGNORECASE)


def check(text: str, people: Iterable[str] = (), extra: Iterable[Rule] = ()) -> list[Finding]:
    """Findings in `text`, in order. `people`: names and emails of the incident's people;
    `extra`: admin-defined rules on top of the built-in ones."""
    masked = _mask_quotes(text)
    people_re = _people_pattern(people)
    rules = list(RULES) + list(extra)
    found: list[Finding] = []
    for sentence_match in SENTENCE.finditer(masked):
        sentence, offset = sentence_match.group(), sentence_match.start()
        spans: list[tuple[int, int, str, str]] = []
        for rule in rules:
            for match in _compiled(rule.pattern).finditer(sentence):
                if (
                    rule.needs_person
                    and not people_re.search(match.group())
                    and not _person_finding(sentence, offset, match, people_re)
                ):
                    continue
                spans.append((offset + match.start(), offset + match.end(), rule.reason,
                              rule.suggestion))  # fmt: skip
        spans.extend(_person_failures(sentence, offset, people_re))
        spans.extend(_hindsight(sentence, offset, people_re))
        spans.extend(_person_counterfactuals(sentence, offset, people_re))
        found.extend(_merge(text, spans))
    return found


def _person_failures(sentence: str, offset: int, people: re.Pattern[str]):
    for match in _compiled(rf"\b(?:{FAILURE_VERBS})\b").finditer(sentence):
        span = _person_finding(sentence, offset, match, people)
        if span:
            yield (*span, PERSON_FAILURE, CONDITIONS)
    # The passive, with the person after "by": "caused by Ana's change", "botched by Tom".
    passive = (
        r"\b(?:caused|introduced|broken|botched|rushed(?:\s+through)?|pushed\s+through|missed|"
        r"ignored|overlooked|deleted|misconfigured|skipped|disregarded|bypassed|neglected)\s+by"
        # "ignored by the on-call", "pushed through by the release manager"
        r"\s+(?:the\s+|our\s+|an?\s+|their\s+)?(?:[\w-]+\s+){0,2}?"
        rf"(?:{people.pattern})"
    )
    for match in _compiled(passive).finditer(sentence):
        yield (offset + match.start(), offset + match.end(), PERSON_FAILURE, CONDITIONS)
    root = rf"\broot\s+cause\b[^.]{{0,20}}?(?:{people.pattern})"
    for match in _compiled(root).finditer(sentence):
        yield (offset + match.start(), offset + match.end(), BLAME,
               "A root cause is a condition of the system, never a person.")  # fmt: skip


def _hindsight(sentence: str, offset: int, people: re.Pattern[str]):
    """ "should have": with a person subject, or passive ("should have been caught"); a
    system's expected behaviour ("the alert should have fired at 14:02") is fine."""
    for match in _compiled(rf"\b(?:{HINDSIGHT_MODAL})(?:\s+been\s+\w+)?").finditer(sentence):
        passive = re.search(r"\sbeen\s+\w+$", match.group())
        span = _person_finding(sentence, offset, match, people)
        if span:
            yield (*span, HINDSIGHT, CONDITIONS)
        elif passive:
            yield (offset + match.start(), offset + match.end(), HINDSIGHT,
                   "Say what signal or safeguard was missing, e.g. \"no check validated the "
                   "config before rollout\".")  # fmt: skip


def _person_counterfactuals(sentence: str, offset: int, people: re.Pattern[str]):
    """ "If the engineer had …", "Had Jun renewed …": what a person did not do."""
    who = rf"(?:the\s+|our\s+)?(?:{people.pattern})"
    patterns = (
        rf"\bif\s+(?:only\s+)?{who}\s+had\b",
        rf"\bhad\s+{who}\s+(?!been\b|not\b)\w*(?:ed|paid|done|read|run|made|taken|known)\b",
    )
    for pattern in patterns:
        for match in _compiled(pattern).finditer(sentence):
            yield (offset + match.start(), offset + match.end(), COUNTERFACTUAL,
                   "Describe what the person knew and did, and what would have surfaced "
                   "the problem sooner.")  # fmt: skip


def _merge(text: str, spans: list[tuple[int, int, str, str]]) -> list[Finding]:
    """One finding per overlapping group of spans (the first rule's reason wins)."""
    findings: list[Finding] = []
    for start, end, reason, suggestion in sorted(spans, key=lambda s: (s[0], -s[1])):
        while start < end and text[start].isspace():
            start += 1
        if findings and start < findings[-1].end:
            last = findings[-1]
            if end > last.end:
                findings[-1] = Finding(last.start, end, text[last.start : end], last.reason,
                                       last.suggestion)  # fmt: skip
            continue
        findings.append(Finding(start, end, text[start:end], reason, suggestion))
    return findings
