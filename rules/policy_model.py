"""The shape of an authority's policy: frozen dataclasses the rules and pages read.

Loading and checking a policy file is in ``rules.policy_check``; ``rules.policy`` is the
public entry point that ties the two together.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rules.roles import LINE_MANAGER, role_name

#: The folder holding one ``<id>.yaml`` preset per seed authority.
PRESETS_DIR: Path = Path(__file__).resolve().parent / "policies"

#: The tracks the app knows, with what each one is for (used in messages).
TRACKS: dict[str, str] = {
    "iro": "looked-after children (reviews by an IRO)",
    "cp": "child protection (conferences chaired by a CP chair)",
}

#: What a review on a track is.
REVIEW_KINDS: dict[str, str] = {
    "lac_review": "a looked-after child's review",
    "cp_conference": "a child protection conference",
}

#: What happens when a level does not answer in time, or the reviewer is not satisfied.
ESCALATION_WORDS: dict[str, str] = {
    "escalate": "move the alert to the next level automatically",
    "prompt": "flag it for the reviewer to decide",
}

#: What a manager's silence about review decisions means.
REVIEW_SILENCE_WORDS: dict[str, str] = {
    "agreed": "the decisions are taken as agreed",
    "prompt": "the reviewer is prompted to chase",
}

#: The kinds of question a policy may add to the monitoring form, with what each is
#: answered with (used in messages and on the form).
QUESTION_KINDS: dict[str, str] = {
    "text": "a written answer",
    "yes_no": "Yes or No",
    "choice": "one of the question's options",
    "date": "a date, typed as day/month/year",
}

#: When a policy's own question must be answered on the monitoring form.
QUESTION_REQUIRED_WORDS: dict[str, str] = {
    "never": "the reviewer may leave it unanswered",
    "always": "it must be answered on every form",
    "amber_red": "it must be answered when the plan is judged amber or red",
}

#: Any working-day figure above this is taken to be a typo (about three months).
MAX_DAYS = 60
#: Any month figure above this is taken to be a typo (five years).
MAX_MONTHS = 60

_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
_POLICY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")



# --------------------------------------------------------------------------- the policy


class NotInPolicy(KeyError):
    """A lookup of something the policy does not have.

    A KeyError, so callers can catch it as one, whose text reads as a sentence (a plain
    KeyError shows the repr of its message, quotes and all).
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Gate:
    """Someone the reviewer must consult before a step (going formal, bypassing, reaching
    a level). Recorded on the alert so the chronology shows the step was agreed."""

    consult: tuple[str, ...]
    within_days: int | None
    emergency_exempt: bool
    note: str


@dataclass(frozen=True)
class NotifyGate:
    """People who must be told before a step (a CAFCASS referral); telling, not asking."""

    notify: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Category:
    """A kind of concern, grouped under one of the policy's reporting themes."""

    id: str
    label: str
    theme: str


@dataclass(frozen=True)
class Level:
    """One rung of the formal ladder: who answers, in how long, and what silence means."""

    number: int
    role: str
    label: str
    copy: tuple[str, ...]
    response_days: int
    on_silence: str
    on_not_satisfied: str
    exceptional: bool
    gate: Gate | None


@dataclass(frozen=True)
class InformalStage:
    """The conversation before anything is formal: with whom, and for how long."""

    label: str
    with_roles: tuple[str, ...]
    copy: tuple[str, ...]
    response_days: int
    max_days: int | None
    gate_to_formal: Gate | None


@dataclass(frozen=True)
class Bypass:
    """Whether a reviewer may start straight at a formal level, and what that needs."""

    allowed: bool
    gate: Gate | None


@dataclass(frozen=True)
class Track:
    """One escalation process (looked-after children, or child protection)."""

    id: str
    label: str
    raised_by: tuple[str, ...]
    review_kind: str
    raise_within_days: int | None
    informal: InformalStage
    bypass: Bypass
    levels: tuple[Level, ...]
    formal_cap_days: int
    at_risk_days: int
    categories: tuple[Category, ...]

    def _ladder(self) -> str:
        return " -> ".join(self.roles_on_ladder)

    def level(self, role: str) -> Level:
        """The level a role answers at; NotInPolicy (a KeyError) if it is not on the ladder."""
        for level in self.levels:
            if level.role == role:
                return level
        raise NotInPolicy(
            f"{role_name(role)} ('{role}') is not on the ladder of the {self.id} track"
            f" ({self.label}). The ladder is: {self._ladder()}."
        )

    def level_by_number(self, number: int) -> Level:
        """Level ``number`` (1 is the first formal level)."""
        if isinstance(number, int) and 1 <= number <= len(self.levels):
            return self.levels[number - 1]
        raise NotInPolicy(
            f"The {self.id} track has no level {number!r}: its levels are numbered 1 to"
            f" {len(self.levels)}."
        )

    def next_level(self, level: Level) -> Level | None:
        """The level above ``level``, or None at the top. Exceptional levels are included:
        whether to go there automatically is the engine's call (see ``Level.exceptional``)."""
        if self.level_by_number(level.number) != level:
            raise NotInPolicy(f"{level.label!r} is not a level of the {self.id} track.")
        if level.number == len(self.levels):
            return None
        return self.levels[level.number]

    @property
    def top_level(self) -> Level:
        """The last rung, exceptional or not."""
        return self.levels[-1]

    @property
    def roles_on_ladder(self) -> tuple[str, ...]:
        """The ladder's roles, first level first."""
        return tuple(level.role for level in self.levels)

    def category(self, category_id: str) -> Category:
        """The category with this id; NotInPolicy (a KeyError) if the track has none."""
        for category in self.categories:
            if category.id == category_id:
                return category
        raise NotInPolicy(
            f"The {self.id} track has no concern category '{category_id}'. Its categories"
            f" are: {', '.join(c.id for c in self.categories)}."
        )


@dataclass(frozen=True)
class RagRouting:
    """Who hears about an amber or red judgement on the post-review monitoring form."""

    amber_notify: tuple[str, ...]
    amber_note: str
    red_notify: tuple[str, ...]
    red_note: str


@dataclass(frozen=True)
class ReviewDecisions:
    """Timescales for sending review decisions to a manager and for the manager's reply."""

    send_within_days: int
    reply_within_days: int
    on_silence: str


@dataclass(frozen=True)
class ChangeType:
    """A significant change the reviewer must be told of; some need a review first."""

    id: str
    label: str
    review_before: bool


@dataclass(frozen=True)
class SignificantChanges:
    """How quickly the reviewer must be told of a significant change, and which count."""

    notify_within_days: int
    types: tuple[ChangeType, ...]


@dataclass(frozen=True)
class Document:
    """A key planning document whose state the monitoring form records."""

    id: str
    label: str


@dataclass(frozen=True)
class Permanence:
    """When a case must be referred for permanence planning (seed 004, 2.4)."""

    placed_with_parents_months: int
    not_placed_after_decision_months: int
    refer_to: str


@dataclass(frozen=True)
class PracticeConcerns:
    """Concerns about a reviewer's own practice: to whom, how fast, and where next."""

    to: str
    respond_days: int
    escalate_to: tuple[str, ...]


@dataclass(frozen=True)
class LegalAdvice:
    """Who a reviewer liaises with before seeking independent legal advice."""

    consult: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class ReviewQuestion:
    """One of the authority's own questions on the post-review monitoring form.

    The standard form asks what every procedure needs; an authority often wants more (were
    the child's views heard, was the placement visited). Writing them in the policy lets an
    administrator add one without a programmer. ``id`` names the answer in the event log, so
    it stays fixed; the ``label`` is stored with every answer, so rewording the question in a
    later version never changes what an earlier form asked. ``applies_to`` is never empty
    once read: a file that leaves it out means every review kind the policy has.
    """

    id: str
    label: str
    kind: str
    required: str = "never"
    options: tuple[str, ...] = ()
    applies_to: tuple[str, ...] = ()
    help: str = ""

    def asked_at(self, review_kind: str) -> bool:
        """True when the form for this kind of review shows the question."""
        return review_kind in self.applies_to

    def required_for(self, rag: str) -> bool:
        """True when a form judging the plan ``rag`` must answer it."""
        return self.required == "always" or (
            self.required == "amber_red" and rag in ("amber", "red"))


#: Roles that see every child's record when a policy has no ``access`` section: the heads
#: of service, QA, the principal IRO and the directors up to the chief executive.
DEFAULT_AUTHORITY_WIDE: tuple[str, ...] = (
    "head_of_service", "deputy_head_of_service", "qa_head_of_service", "principal_iro",
    "service_director", "divisional_director", "assistant_director", "director",
    "executive_director", "deputy_chief_executive", "chief_executive",
)
#: Roles that act for any child's reviewer when a policy has no ``access`` section.
DEFAULT_ACT_FOR_REVIEWER: tuple[str, ...] = ("principal_iro",)
#: Roles that edit the procedure in the app and adopt new versions of it, by default.
DEFAULT_POLICY_EDITORS: tuple[str, ...] = ("admin", "principal_iro")


@dataclass(frozen=True)
class Access:
    """Who sees and does what beyond their own children (``access:`` in the file).

    ``authority_wide`` roles see every child's record and act on an alert only when it
    waits for their role; ``act_for_reviewer`` roles act for any child's IRO or CP chair.
    Everything else follows the person's relationship to the child (``usecases.access``).
    """

    authority_wide: tuple[str, ...] = DEFAULT_AUTHORITY_WIDE
    act_for_reviewer: tuple[str, ...] = DEFAULT_ACT_FOR_REVIEWER
    policy_editors: tuple[str, ...] = DEFAULT_POLICY_EDITORS


@dataclass(frozen=True)
class Policy:
    """One authority's whole procedure. Immutable: a change is a new file version."""

    id: str
    version: int
    authority: str
    source: str
    summary: str
    themes: tuple[str, ...]
    tracks: Mapping[str, Track]
    cafcass_gate: NotifyGate | None
    legal_advice: LegalAdvice
    rag: RagRouting
    review_decisions: ReviewDecisions
    acknowledge_days: int
    key_documents: tuple[Document, ...]
    significant_changes: SignificantChanges
    permanence: Permanence | None
    practice_concerns: PracticeConcerns | None
    closure_days: tuple[datetime.date, ...]
    assumptions: tuple[str, ...]
    path: str
    access: Access = Access()
    review_questions: tuple[ReviewQuestion, ...] = ()
    #: Months after an alert is resolved to ask whether its change lasted (issue 16), unless
    #: the child's next review comes first; the policy's ``impact: follow_up_months``.
    impact_follow_up_months: int = 3

    def __hash__(self) -> int:
        # The generated hash would fail on the tracks mapping; id, version and file
        # identify a policy (equal policies always agree on them).
        return hash((self.id, self.version, self.path))

    def track(self, track_id: str) -> Track:
        """The track with this id; NotInPolicy (a KeyError) if the authority has none."""
        try:
            return self.tracks[track_id]
        except KeyError:
            raise NotInPolicy(
                f"Policy {self.id} ({self.authority}) has no '{track_id}' track. Its"
                f" tracks are: {', '.join(self.tracks)}."
            ) from None

    def questions_for(self, review_kind: str) -> tuple[ReviewQuestion, ...]:
        """The authority's own questions the monitoring form asks for this kind of review,
        in the order the policy lists them."""
        return tuple(q for q in self.review_questions if q.asked_at(review_kind))

    def roles(self) -> set[str]:
        """Every role slug the policy names anywhere (not ``line_manager``, which is a
        relationship, not a post), so a demo can create one member of staff for each."""
        named: list[str] = []
        for track in self.tracks.values():
            named += track.raised_by
            named += track.informal.with_roles + track.informal.copy
            gates = [track.informal.gate_to_formal, track.bypass.gate]
            for level in track.levels:
                named.append(level.role)
                named += level.copy
                gates.append(level.gate)
            for gate in gates:
                if gate is not None:
                    named += gate.consult
        if self.cafcass_gate is not None:
            named += self.cafcass_gate.notify
        named += self.legal_advice.consult
        named += self.rag.amber_notify + self.rag.red_notify
        if self.permanence is not None:
            named.append(self.permanence.refer_to)
        if self.practice_concerns is not None:
            named.append(self.practice_concerns.to)
            named += self.practice_concerns.escalate_to
        return {role for role in named if role != LINE_MANAGER}


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class PolicyProblem:
    """One thing wrong with a policy file, located by a dotted path into it.

    List positions in ``path`` count from 1, as people do: ``levels[1]`` is the first
    level. ``(file)`` means the file as a whole.
    """

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


class PolicyInvalid(Exception):
    """A policy file that cannot be used; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: list[PolicyProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


