"""The schema of data/knowledge: every file, its keys, their types and the ids they refer to.

`parse(files)` checks the YAML of data/knowledge (each file's stem -> its loaded content) against
the models below and returns a `KnowledgeBase` of typed objects (`Topic`, `Procedure`, ...). Every
mapping forbids keys it does not define (a misspelt `stpes:` is an error, not an ignored key),
required keys are required and values have their type (a text where a list is expected is an
error). Then every id one file gives for another is looked up (a topic's `related`, a route's
topic, a misconception's `topic`, a walkthrough's procedure, a text's `source`, ...).

The first problem found raises one `KnowledgeError` whose message names the file, the key and
what is wrong, in the form knowledge/provenance.py uses, e.g.

    data/knowledge/topics.yml: topics.icve_logout_web.related[1]: unknown topic `icve_logout_webb`

The texts the bot states ({text, quote} or {text, guidance: true}) have their shape here; whether
each has its quote or is guidance, and which document it rests on, is knowledge/provenance.py's
check (run first by knowledge/loader.py, for the same message form).

    python -m knowledge.schema   # checks data/knowledge (or $KNOWLEDGE_DIR); exit status 1 if broken
"""

import datetime
import difflib
from typing import Any, Dict, Iterable, Iterator, List, Optional, Set, Text, Tuple, Type

from pydantic import (
    BaseModel,
    Extra,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    confloat,
    conint,
    conlist,
    create_model,
    root_validator,
    validator,
)

from knowledge.provenance import KnowledgeError, Place

Words = List[StrictStr]
# A grading keyword: one word, or several that must all be present (staff/grading.py).
Keyword = Any


class Strict(BaseModel):
    """A mapping of data/knowledge: unknown keys are errors, named with the keys allowed."""

    class Config:
        extra = Extra.forbid
        allow_mutation = False

    @root_validator(pre=True)
    def _known_keys_only(cls, values: Any) -> Any:
        if isinstance(values, dict):
            allowed = {field.alias for field in cls.__fields__.values()}
            unknown = [key for key in values if key not in allowed]
            if unknown:
                raise ValueError(f"unknown key `{unknown[0]}` (allowed: {', '.join(sorted(allowed))})")
        return values


def _as_list(cls: Any, value: Any) -> Any:
    """A single quote may stand for a list of one."""
    return [value] if isinstance(value, str) else value


def _keywords(cls: Any, value: Any) -> Any:
    if not isinstance(value, list) or not value:
        raise ValueError("expected a list of keywords")
    for keyword in value:
        words = keyword if isinstance(keyword, list) else [keyword]
        if not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise ValueError(f"a keyword is a word or a list of words, found {keyword!r}")
    return value


def keywords_of(value: Iterable[Any]) -> Iterator[Text]:
    """Each word of a list of keywords (a keyword is a word or a list of words)."""
    for keyword in value:
        yield from keyword if isinstance(keyword, list) else [keyword]


def text_model(name: Text, *keys: Text, base: Type[BaseModel] = Strict) -> Type[BaseModel]:
    """A mapping of message templates (the bot's own words), each required and a string."""
    return create_model(name, __base__=base, **{key: (StrictStr, ...) for key in keys})


# ---- texts the bot states (knowledge/provenance.py) ----


class Said(Strict):
    """{text, quote} resting on a document (`source` overrides the inherited one), or
    {text, guidance: true}: the bot's own guidance."""

    text: StrictStr
    quote: Optional[List[StrictStr]] = None
    source: Optional[StrictStr] = None
    guidance: Optional[StrictBool] = None

    _one_or_more = validator("quote", pre=True, allow_reuse=True)(_as_list)


# ---- sources.yml ----


class Source(Strict):
    title: StrictStr
    published: datetime.date
    seed: StrictStr  # the document's file in ../shared/seeds


class SourcesFile(Strict):
    sources: Dict[StrictStr, Source]
    citation: StrictStr


# ---- platforms.yml ----


class Platform(Strict):
    name: StrictStr
    help: StrictStr  # who to contact ("智慧职教人工客服")
    menu: List[StrictStr]  # topic ids offered as buttons


class PlatformsFile(Strict):
    platforms: Dict[StrictStr, Platform]


# ---- topics.yml ----


class Topic(Strict):
    title: StrictStr
    platform: StrictStr
    procedure: Optional[StrictStr] = None
    answer: Optional[Said] = None
    misconception: Optional[StrictStr] = None
    points: List[Said] = []
    warnings: List[Said] = []
    warn_misconceptions: List[StrictStr] = []
    related: List[StrictStr] = []
    mentions: Words = []  # other platforms' names that belong to the topic
    source: Optional[StrictStr] = None


class TopicsFile(Strict):
    goals: Dict[StrictStr, StrictStr]
    # goal -> platform -> device (or "default") -> topic id
    routes: Dict[StrictStr, Dict[StrictStr, Dict[StrictStr, StrictStr]]]
    # goal -> platform -> kind of account -> topic, chosen before `routes`
    account_routes: Dict[StrictStr, Dict[StrictStr, Dict[StrictStr, StrictStr]]] = {}
    topics: Dict[StrictStr, Topic]


# ---- procedures.yml ----


class Step(Strict):
    """`do` with its quote (or guidance), `see`, `hint`, `keywords`; or `include: <procedure>`."""

    include: Optional[StrictStr] = None
    do: Optional[StrictStr] = None
    quote: Optional[List[StrictStr]] = None
    source: Optional[StrictStr] = None
    guidance: Optional[StrictBool] = None
    see: Optional[Said] = None
    hint: Optional[Said] = None
    keywords: Optional[List[Keyword]] = None

    _one_or_more = validator("quote", pre=True, allow_reuse=True)(_as_list)
    _keywords = validator("keywords", pre=True, allow_reuse=True)(_keywords)

    @root_validator(skip_on_failure=True)
    def _include_or_do(cls, values: Dict[Text, Any]) -> Dict[Text, Any]:
        given = [key for key, value in values.items() if value is not None]
        if values.get("include") is not None:
            if given != ["include"]:
                raise ValueError(f"a step with `include` has no other key (found `{given[-1]}`)")
        elif values.get("do") is None:
            raise ValueError("missing `do` (what to tap or type), or `include: <procedure>`")
        return values


class Procedure(Strict):
    title: StrictStr
    platform: StrictStr
    source: StrictStr
    misconception: Optional[StrictStr] = None
    steps: List[Step] = Field(..., min_items=1)
    check: Said
    next_walkthroughs: List[StrictStr] = []
    next_topics: List[StrictStr] = []


class ProceduresFile(Strict):
    procedures: Dict[StrictStr, Procedure]


# ---- misconceptions.yml ----


class ByTopic(Strict):  # knowledge/misconceptions.py: a belief stated in words no pattern has
    beliefs: Words
    min_confidence: confloat(ge=0, le=1)
    min_word_classes: conint(ge=0)
    asking: Words
    truth_words: Words


class Recognition(Strict):
    negations: Words
    negation_prefixes: Words
    question_words: Words
    agreement_words: Words
    by_topic: Optional[ByTopic] = None


class Misconception(Strict):
    belief: Said
    correction: Said
    source: StrictStr
    topic: StrictStr
    patterns: List[List[StrictStr]] = Field(..., min_items=1)  # word classes, in order


class MisconceptionsFile(Strict):
    recognition: Recognition
    misconceptions: Dict[StrictStr, Misconception]


# ---- walkthroughs.yml ----


class Question(Strict):
    ask: StrictStr
    options: Optional[Dict[StrictStr, StrictStr]] = None  # none: the platforms of platforms.yml


WalkthroughButtons = text_model("WalkthroughButtons", "next", "back", "stuck", "done", "exit")
WalkthroughMessages = create_model(
    "WalkthroughMessages",
    __base__=text_model(
        "WalkthroughTexts",
        *"intro step step_see hint no_hint first_step done next_offer exited none_active resume".split(),
        *"not_covered offer_button start_button".split(),
    ),
    buttons=(WalkthroughButtons, ...),
)


class WalkthroughsFile(Strict):
    questions: Dict[StrictStr, Question]
    # goal -> procedure id, or goal -> {by: question, answer: procedure id, ...}
    choose: Dict[StrictStr, Any]
    # The walkthrough's step buttons: intent -> move (a key of messages.buttons).
    navigation: Dict[StrictStr, StrictStr]
    # words a bare acknowledgement is made of ("嗯嗯好的"): with no walkthrough going, thanks
    acknowledgements: Words
    messages: WalkthroughMessages  # type: ignore[valid-type]

    @validator("choose", each_item=True)
    def _procedure_or_question(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value
        if not isinstance(value, dict) or not isinstance(value.get("by"), str):
            raise ValueError(f"expected a procedure id or a mapping with `by: <question>`, found {value!r}")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise ValueError("each answer must lead to a procedure id")
        return value


# ---- presentation.yml ----

WechatTexts = text_model(
    "WechatTexts",
    *"subscribe_message menu_item more_keyword more_hint late_answer unsupported_message".split(),
    *"feedback_hint feedback_helpful feedback_unhelpful staff_reply".split(),
)
ChatwootTexts = text_model("ChatwootTexts", "menu_item", "transferred")
FeedbackTexts = create_model(
    "FeedbackTexts",
    __base__=text_model(
        "FeedbackMessages",
        *"helpful_button unhelpful_button thanks sorry sorry_offer reason_thanks typed".split(),
    ),
    reasons=(text_model("FeedbackReasons", *"off_topic wrong_steps unclear other".split()), ...),
)
LimitTexts = text_model("LimitTexts", "message_too_long", "too_many_messages")
HandoffTexts = create_model(
    "HandoffTexts",
    __base__=text_model(
        "HandoffMessages",
        *"offer offer_after_failures accept_button decline_button declined elsewhere".split(),
        *"queued still_waiting taken closed_hours message_kept handed_back closed".split(),
        *"idle_returned kf_closed staff_label hours_range hours_separator days_range days_separator".split(),
    ),
    weekdays=(conlist(StrictStr, min_items=7, max_items=7), ...),
)
PresentationFile = create_model(
    "PresentationFile",
    __base__=text_model(
        "PresentationTexts",
        *"misconception point steps_heading step step_see warning".split(),
        *"ask_platform ask_platform_other platform_menu not_covered other_platform".split(),
        *"answered_for_platform ask_other_platform covered_elsewhere".split(),
        *"other_platform_unnamed capabilities_button sources_button sources_heading".split(),
        *"sources_document sources_quote sources_unknown other_questions confirm_topic".split(),
        *"confirm_none out_of_scope not_understood unstated_fact action_server_down".split(),
    ),
    marked_point_prefixes=(Words, ...),
    personal_data_warning=(Said, ...),
    wechat=(WechatTexts, ...),
    chatwoot=(ChatwootTexts, ...),
    limits=(LimitTexts, ...),
    feedback=(FeedbackTexts, ...),
    handoff=(HandoffTexts, ...),
    console=(Dict[StrictStr, StrictStr], ...),
)


# ---- rehearsal.yml ----


class ScenarioPoint(Strict):
    point: StrictInt  # index into the topic's `points`
    keywords: List[Keyword]

    _keywords = validator("keywords", pre=True, allow_reuse=True)(_keywords)


class Scenario(Strict):
    topic: StrictStr
    misconception: Optional[StrictStr] = None
    student: StrictStr
    security: List[StrictStr] = []
    procedure: Optional[StrictStr] = None  # null: no steps are key points; absent: the topic's
    points: List[ScenarioPoint] = []


class Reminder(Said):
    keywords: List[Keyword] = []

    _keywords = validator("keywords", pre=True, allow_reuse=True)(_keywords)


class Band(Strict):
    min: StrictInt
    label: StrictStr


class Weights(Strict):
    key_points: StrictInt
    order: StrictInt
    misconception: StrictInt
    security: StrictInt


RehearsalMessages = create_model(
    "RehearsalMessages",
    __base__=text_model(
        "RehearsalTexts",
        *"ask_trainee start scenario score covered missed_heading missed_item missed_step".split(),
        *"missed_point missed_order missed_correction stated_belief missed_security".split(),
        *"point_separator model_answer model_security summary summary_item weakest".split(),
        *"all_passed summary_none again not_running staff_only trainee_unknown".split(),
    ),
    covered_names=(text_model("CoveredNames", *Weights.__fields__), ...),
)
ReportTexts = create_model(
    "RehearsalReport",
    __base__=text_model(
        "RehearsalReportTexts", *"title generated empty by_trainee by_topic most_missed".split()
    ),
    columns=(
        text_model("Columns", *"trainee sessions answers average lowest last topic point count".split()),
        ...,
    ),
    csv_columns=(text_model("CsvColumns", *"time trainee session scenario topic score missed".split()), ...),
)
TerminalTexts = text_model("TerminalTexts", *"starting prompt bot stopped no_token token_refused".split())


class RehearsalFile(Strict):
    scenarios_per_session: StrictInt
    pass_score: StrictInt
    weights: Weights
    stated_belief_cap: StrictInt
    end_commands: Words
    quoting_words: Words
    scenarios: Dict[StrictStr, Scenario]
    security: Dict[StrictStr, Reminder]
    corrections: Dict[StrictStr, List[Keyword]]  # misconception id -> keywords
    messages: RehearsalMessages  # type: ignore[valid-type]
    bands: List[Band] = Field(..., min_items=1)
    report: ReportTexts  # type: ignore[valid-type]
    terminal: TerminalTexts  # type: ignore[valid-type]

    _keywords = validator("corrections", each_item=True, pre=True, allow_reuse=True)(_keywords)


# ---- followups.yml, answerability.yml ----


class AlsoLoggedIn(Strict):
    words: Words
    topic: StrictStr


class FollowupsFile(Strict):
    # topic id -> platform id or another platform's name -> topic id
    same_question_on: Dict[StrictStr, Dict[StrictStr, StrictStr]]
    # goal -> another platform's name -> topic id
    goal_on_other_platform: Dict[StrictStr, Dict[StrictStr, StrictStr]]
    # words of a device follow-up saying the account is logged in there too -> the topic it asks
    also_logged_in: AlsoLoggedIn


class OtherObjects(Strict):
    goals: Words
    words: Words
    unless: Words


class ObjectCheck(Strict):  # knowledge/answerability.py
    goals: Words
    procedures: StrictBool
    not_objects: Words
    non_noun_endings: Words = []
    negated_starts: Words = []


class WordsUnless(Strict):
    words: Words  # words that make a message what the list is about ...
    unless: Words = []  # ... when it has none of these


class UnstatedFact(WordsUnless):
    with_any: Words = []  # ... and, when given, one of these too, anywhere in the message ("safari" with 清 …)
    # read in the whole message, not only its question: a fault is told, then asked about ("APP一打开就
    # 闪退，是不是我账号出问题了")
    in_back_story: StrictBool = False
    # a pattern: asked of a topic whose answer lacks it, the fact is unstated ("学信网改名字要审核几天");
    # of one whose answer holds it ("注销多久生效": 3个工作日), or of no topic, it is not
    unless_answer_has: Optional[StrictStr] = None
    # a length of time: stated by an answer giving the one the message names (`durations`), or, naming
    # none, one whose other things the message does not name
    unless_answer_gives_duration: StrictBool = False


class Duration(WordsUnless):
    """A length of time of the documents: `words` name what it is the length of, `unless` other things."""

    pattern: StrictStr  # as an answer states it ("3个工作日")
    topic: StrictStr  # the topic whose answer states it
    with_any: Words = []  # when given, one of these is named too ("数据" after a deregistration)


class KnownThenAsked(Strict):
    pattern: StrictStr  # says one already knows what a clause states, before asking something else
    must_after: Words = []  # ... but not with one of these after it: what one must do, then how


class AnswerabilityFile(Strict):
    requires_any: Dict[StrictStr, Words]  # topic id -> words
    excluded_by: Dict[StrictStr, Words] = {}  # topic id -> words of what it is not about
    cheating: Words = []  # words that ask for help to cheat, refused in any message
    cheating_context: Words = []  # course work: a question about it is part of a later question's cheat
    not_questions: Words = []  # words asking for writing, a part or the rules: out of scope in any message
    unstated_facts: Dict[
        StrictStr, UnstatedFact
    ] = {}  # a fact no document states, as named -> words asking it
    durations: List[Duration] = []  # the documents' lengths of time, the most specific first
    insults: Optional[WordsUnless] = None  # an insult to the bot asking nothing: out of scope
    remarks: Optional[WordsUnless] = None  # a joke or news asking nothing: out of scope
    reports: Optional[WordsUnless] = None  # news of something done, no belief and no question: out of scope
    known_then_asked: Optional[KnownThenAsked] = None
    thanks: Optional[WordsUnless] = None  # thanks or news that it worked, asking nothing: thanked back
    other_objects: OtherObjects
    objects: Optional[ObjectCheck] = None


# ---- coverage.yml (the tests' and the content owner's report's, not the bot's) ----


class Span(Strict):
    from_: StrictStr = Field(..., alias="from")
    to: StrictStr


class Fact(Strict):
    fact: StrictStr
    source: StrictStr
    quote: StrictStr
    topic: StrictStr
    words: Words


class Contradiction(Strict):
    about: StrictStr
    source: StrictStr
    quotes: Words
    topics: List[StrictStr]
    words: Words


class NotStated(Strict):
    source: StrictStr
    why: StrictStr
    quote: StrictStr


CoverageReport = text_model(
    "CoverageReport",
    *"title generated intro document_checked document_missing summary topics others".split(),
    *"contradictions facts column_text column_quote column_check column_about column_topics".split(),
    *"column_fact column_topic ok guidance guidance_claims not_in_quote quote_not_found".split(),
    *"no_document fact_missing".split(),
)


class CoverageFile(Strict):
    documents: Dict[StrictStr, Span]  # source id -> where the article's body is
    facts: List[Fact]
    contradictions: List[Contradiction]
    not_stated: List[NotStated]
    report: CoverageReport  # type: ignore[valid-type]


# ---- all of data/knowledge ----

FILES: Dict[Text, Type[BaseModel]] = {
    "sources": SourcesFile,
    "platforms": PlatformsFile,
    "topics": TopicsFile,
    "procedures": ProceduresFile,
    "misconceptions": MisconceptionsFile,
    "walkthroughs": WalkthroughsFile,
    "presentation": PresentationFile,
    "rehearsal": RehearsalFile,
    "followups": FollowupsFile,
    "answerability": AnswerabilityFile,
    "coverage": CoverageFile,
}


class KnowledgeBase(BaseModel):
    """data/knowledge, typed: one attribute per file."""

    sources: SourcesFile
    platforms: PlatformsFile
    topics: TopicsFile
    procedures: ProceduresFile
    misconceptions: MisconceptionsFile
    walkthroughs: WalkthroughsFile
    presentation: PresentationFile  # type: ignore[valid-type]
    rehearsal: RehearsalFile
    followups: FollowupsFile
    answerability: AnswerabilityFile
    coverage: CoverageFile


# ---- messages ----


def where(file: Text, place: Place) -> Text:
    """`data/knowledge/topics.yml: topics.icve_logout_web.related[1]`."""
    key = ""
    for part in place:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return f"data/knowledge/{file}.yml: {key}" if key else f"data/knowledge/{file}.yml"


def _value_at(data: Any, place: Place) -> Tuple[bool, Any]:
    for part in place:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return False, None
    return True, data


def _found(value: Any) -> Text:
    shown = repr(value) if not isinstance(value, (dict, list)) else ""
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    name = {"str": "a text", "dict": "a mapping", "list": "a list", "NoneType": "nothing"}.get(
        type(value).__name__, type(value).__name__
    )
    return f"found {name} {shown}".rstrip()


def _problem(file: Text, raw: Any, error: Dict[Text, Any]) -> KnowledgeError:
    place = tuple(part for part in error["loc"] if part != "__root__")
    kind, message = error["type"], error["msg"]
    exists, value = _value_at(raw, place)
    if kind == "value_error.missing":
        return KnowledgeError(f"{where(file, place[:-1])}: missing required key `{place[-1]}`")
    expected = {
        "type_error.dict": "expected a mapping",
        "type_error.list": "expected a list",
        "type_error.str": "expected a text",
        "type_error.integer": "expected a whole number",
        "type_error.bool": "expected true or false",
        "type_error.none.not_allowed": "expected a value",
        "value_error.date": "expected a date (YYYY-MM-DD)",
    }.get(kind)
    if expected:
        message = f"{expected}, {_found(value)}" if exists else expected
    elif kind == "value_error.list.min_items":
        message = "must not be empty"
    return KnowledgeError(f"{where(file, place)}: {message}")


# ---- references between the files ----


def word_classes(section: Text) -> Set[Text]:
    """The names of the word classes of data/vocabulary.yml's `recogniser` (misconception
    patterns) or `grading` (rehearsal keywords)."""
    from knowledge.vocabulary import load_vocabulary  # it reads the loader's knowledge_dir()

    return set(load_vocabulary().classes[section])


class _References:
    """Looks up every id one file gives for another; the first unknown one is the error."""

    def __init__(self, base: KnowledgeBase) -> None:
        self.base = base
        self.topics = set(base.topics.topics)
        self.procedures = set(base.procedures.procedures)
        self.misconceptions = set(base.misconceptions.misconceptions)
        self.platforms = set(base.platforms.platforms)
        self.sources = set(base.sources.sources)
        self.goals = set(base.topics.goals)
        self.grading = word_classes("grading")
        self.recogniser = word_classes("recogniser")

    def fail(self, file: Text, place: Place, problem: Text) -> None:
        raise KnowledgeError(f"{where(file, place)}: {problem}")

    def one(
        self, file: Text, place: Place, value: Optional[Text], ids: Set[Text], what: Text, of: Text = ""
    ) -> None:
        """`value`, when given, must be one of `ids` (what they are: `what`, `of` where)."""
        if value is not None and value not in ids:
            of = f" {of}" if of else ""
            self.fail(file, place, f"unknown {what} `{value}`{of} ({self._known(value, ids)})")

    def each(
        self, file: Text, place: Place, values: Iterable[Text], ids: Set[Text], what: Text, of: Text = ""
    ) -> None:
        for index, value in enumerate(values):
            self.one(file, (*place, index), value, ids, what, of)

    @staticmethod
    def _known(value: Text, ids: Iterable[Text]) -> Text:
        """Did you mean ...: the close ids, else the ids there are."""
        ids = sorted(ids)
        close = difflib.get_close_matches(value, ids, n=1, cutoff=0.6)
        if close:
            return f"did you mean `{close[0]}`?"
        shown = ", ".join(ids[:8]) + (", ..." if len(ids) > 8 else "")
        return f"known: {shown}" if ids else "none is defined"

    def on_platform(self, file: Text, place: Place, topic_id: Text, platform: Text) -> None:
        """A topic given for a platform must be about that platform."""
        topic = self.base.topics.topics[topic_id]
        if topic.platform != platform:
            self.fail(file, place, f"topic `{topic_id}` is about `{topic.platform}`, not `{platform}`")

    def keywords(self, file: Text, place: Place, keywords: Iterable[Any]) -> None:
        """Grading keywords name the grader's word classes: another word would never count."""
        for word in keywords_of(keywords):
            self.one(file, place, word, self.grading, "word class", "of data/vocabulary.yml `grading`")

    def said(self, file: Text, place: Place, said: Optional[Said]) -> None:
        if said is not None:
            self.one(file, (*place, "source"), said.source, self.sources, "source")

    def check(self) -> None:
        for check in (
            self.platforms_file,
            self.topics_file,
            self.procedures_file,
            self.misconceptions_file,
            self.walkthroughs_file,
            self.rehearsal_file,
            self.followups_file,
            self.answerability_file,
            self.coverage_file,
            self.presentation_file,
        ):
            check()

    def platforms_file(self) -> None:
        for pid, platform in self.base.platforms.platforms.items():
            self.each("platforms", ("platforms", pid, "menu"), platform.menu, self.topics, "topic")
            for index, tid in enumerate(platform.menu):
                self.on_platform("platforms", ("platforms", pid, "menu", index), tid, pid)

    def topics_file(self) -> None:
        file, topics = "topics", self.base.topics
        for goal in topics.routes:
            self.one(file, ("routes", goal), goal, self.goals, "goal", "of `goals`")
        for goal in topics.goals:
            if goal not in topics.routes:
                self.fail(file, ("goals", goal), f"goal `{goal}` has no `routes`")
        device = self.base.walkthroughs.questions.get("device")
        devices = set(device.options or {} if device else {}) | {"default"}
        for goal, by_platform in topics.routes.items():
            for platform, by_device in by_platform.items():
                place = ("routes", goal, platform)
                self.one(file, place, platform, self.platforms, "platform")
                if "default" not in by_device:
                    self.fail(
                        file, place, "missing required key `default` (the topic when no device is said)"
                    )
                for device, topic in by_device.items():
                    self.one(file, (*place, device), device, devices, "device")
                    self.one(file, (*place, device), topic, self.topics, "topic")
                    self.on_platform(file, (*place, device), topic, platform)
        account = self.base.walkthroughs.questions.get("account")
        accounts = set(account.options or {} if account else {})
        for goal, by_platform in topics.account_routes.items():
            self.one(file, ("account_routes", goal), goal, topics.routes, "goal", "of `routes`")
            for platform, by_account in by_platform.items():
                place = ("account_routes", goal, platform)
                self.one(file, place, platform, self.platforms, "platform")
                for kind, topic in by_account.items():
                    self.one(file, (*place, kind), kind, accounts, "kind of account")
                    self.one(file, (*place, kind), topic, self.topics, "topic")
                    self.on_platform(file, (*place, kind), topic, platform)
        for tid, topic in topics.topics.items():
            place = ("topics", tid)
            self.one(file, (*place, "platform"), topic.platform, self.platforms, "platform")
            self.one(file, (*place, "procedure"), topic.procedure, self.procedures, "procedure")
            self.one(
                file, (*place, "misconception"), topic.misconception, self.misconceptions, "misconception"
            )
            self.each(
                file,
                (*place, "warn_misconceptions"),
                topic.warn_misconceptions,
                self.misconceptions,
                "misconception",
            )
            self.each(file, (*place, "related"), topic.related, self.topics, "topic")
            self.one(file, (*place, "source"), topic.source, self.sources, "source")
            if topic.source is None and topic.procedure is None and topic.misconception is None:
                # knowledge/render.py cites the platform's document then
                self.one(file, (*place, "platform"), f"{topic.platform}_doc", self.sources, "source")
            self.said(file, (*place, "answer"), topic.answer)
            for part in ("points", "warnings"):
                for index, said in enumerate(getattr(topic, part)):
                    self.said(file, (*place, part, index), said)

    def procedures_file(self) -> None:
        file, procedures = "procedures", self.base.procedures.procedures
        for pid, procedure in procedures.items():
            place = ("procedures", pid)
            self.one(file, (*place, "platform"), procedure.platform, self.platforms, "platform")
            self.one(file, (*place, "source"), procedure.source, self.sources, "source")
            self.one(
                file, (*place, "misconception"), procedure.misconception, self.misconceptions, "misconception"
            )
            for index, step in enumerate(procedure.steps):
                step_place = (*place, "steps", index)
                self.one(file, (*step_place, "include"), step.include, self.procedures, "procedure")
                self.one(file, (*step_place, "source"), step.source, self.sources, "source")
                self.said(file, (*step_place, "see"), step.see)
                self.said(file, (*step_place, "hint"), step.hint)
                self.keywords(file, (*step_place, "keywords"), step.keywords or [])
            self.said(file, (*place, "check"), procedure.check)
            self.each(
                file, (*place, "next_walkthroughs"), procedure.next_walkthroughs, self.procedures, "procedure"
            )
            walkable = set(self._walkthrough_procedures())
            for index, target in enumerate(procedure.next_walkthroughs):
                if target not in walkable:
                    self.fail(
                        file,
                        (*place, "next_walkthroughs", index),
                        f"no walkthrough leads to `{target}` (walkthroughs.yml `choose`)",
                    )
            self.each(file, (*place, "next_topics"), procedure.next_topics, self.topics, "topic")
            self._no_include_cycle(pid, [])

    def _no_include_cycle(self, pid: Text, path: List[Text]) -> None:
        if pid in path:
            cycle = " -> ".join([*path[path.index(pid) :], pid])
            self.fail(
                "procedures", ("procedures", path[-1], "steps"), f"`include` goes round in a circle: {cycle}"
            )
        for step in self.base.procedures.procedures[pid].steps:
            if step.include:
                self._no_include_cycle(step.include, [*path, pid])

    def _walkthrough_procedures(self) -> Iterator[Text]:
        for choice in self.base.walkthroughs.choose.values():
            if isinstance(choice, str):
                yield choice
            else:
                yield from (target for option, target in choice.items() if option != "by")

    def misconceptions_file(self) -> None:
        file, part = "misconceptions", self.base.misconceptions
        for mid, belief in part.misconceptions.items():
            place = ("misconceptions", mid)
            self.said(file, (*place, "belief"), belief.belief)
            self.said(file, (*place, "correction"), belief.correction)
            self.one(file, (*place, "source"), belief.source, self.sources, "source")
            self.one(file, (*place, "topic"), belief.topic, self.topics, "topic")
            for index, pattern in enumerate(belief.patterns):
                self.each(
                    file,
                    (*place, "patterns", index),
                    pattern,
                    self.recogniser,
                    "word class",
                    "of data/vocabulary.yml `recogniser`",
                )

    def walkthroughs_file(self) -> None:
        file, walkthroughs = "walkthroughs", self.base.walkthroughs
        questions = walkthroughs.questions
        for name in ("platform", "goal", "device"):
            if name not in questions:
                self.fail(file, ("questions",), f"missing required key `{name}`")
        goals = questions["goal"].options or {}
        for goal in goals:
            if goal not in walkthroughs.choose:
                self.fail(
                    file, ("questions", "goal", "options", goal), f"goal `{goal}` has no `choose` entry"
                )
        for goal, choice in walkthroughs.choose.items():
            place = ("choose", goal)
            self.one(file, place, goal, set(goals), "goal", "of questions.goal.options")
            if isinstance(choice, str):
                self.one(file, place, choice, self.procedures, "procedure")
                continue
            question = choice["by"]
            self.one(file, (*place, "by"), question, set(questions), "question")
            options = set(questions[question].options or {})
            for option, target in choice.items():
                if option != "by":
                    self.one(file, (*place, option), option, options, f"answer of `{question}`")
                    self.one(file, (*place, option), target, self.procedures, "procedure")
            for option in sorted(options - set(choice)):
                self.fail(file, place, f"missing required key `{option}` (an answer of `{question}`)")
        moves = set(WalkthroughButtons.__fields__)
        for intent, move in walkthroughs.navigation.items():
            self.one(file, ("navigation", intent), move, moves, "move", "of messages.buttons")
        for move in sorted(moves - set(walkthroughs.navigation.values())):
            self.fail(file, ("navigation",), f"no intent for the `{move}` button")

    def rehearsal_file(self) -> None:
        file, rehearsal = "rehearsal", self.base.rehearsal
        reminders = set(rehearsal.security)
        for sid, scenario in rehearsal.scenarios.items():
            place = ("scenarios", sid)
            self.one(file, (*place, "topic"), scenario.topic, self.topics, "topic")
            self.one(
                file, (*place, "misconception"), scenario.misconception, self.misconceptions, "misconception"
            )
            self.one(file, (*place, "procedure"), scenario.procedure, self.procedures, "procedure")
            self.each(file, (*place, "security"), scenario.security, reminders, "reminder", "of `security`")
            if scenario.misconception and scenario.misconception not in rehearsal.corrections:
                self.fail(
                    file,
                    (*place, "misconception"),
                    f"`{scenario.misconception}` has no entry in `corrections`",
                )
            points = len(self.base.topics.topics[scenario.topic].points)
            for index, point in enumerate(scenario.points):
                if not 0 <= point.point < points:
                    self.fail(
                        file,
                        (*place, "points", index, "point"),
                        f"topic `{scenario.topic}` has no point {point.point} (it has {points}, counted from 0)",
                    )
                self.keywords(file, (*place, "points", index, "keywords"), point.keywords)
        for rid, reminder in rehearsal.security.items():
            self.one(file, ("security", rid, "source"), reminder.source, self.sources, "source")
            self.keywords(file, ("security", rid, "keywords"), reminder.keywords)
        for mid, keywords in rehearsal.corrections.items():
            self.one(file, ("corrections", mid), mid, self.misconceptions, "misconception")
            self.keywords(file, ("corrections", mid), keywords)

    def followups_file(self) -> None:
        file, followups = "followups", self.base.followups
        for tid, by_platform in followups.same_question_on.items():
            self.one(file, ("same_question_on", tid), tid, self.topics, "topic")
            for platform, target in by_platform.items():
                self.one(file, ("same_question_on", tid, platform), target, self.topics, "topic")
                if platform in self.platforms:  # else another platform's name (other_platform)
                    self.on_platform(file, ("same_question_on", tid, platform), target, platform)
        for goal, by_platform in followups.goal_on_other_platform.items():
            self.one(
                file, ("goal_on_other_platform", goal), goal, self.goals, "goal", "of topics.yml `goals`"
            )
            for platform, target in by_platform.items():
                self.one(file, ("goal_on_other_platform", goal, platform), target, self.topics, "topic")
        self.one(file, ("also_logged_in", "topic"), followups.also_logged_in.topic, self.topics, "topic")

    def answerability_file(self) -> None:
        file, rules = "answerability", self.base.answerability
        for tid in rules.requires_any:
            self.one(file, ("requires_any", tid), tid, self.topics | self.goals, "topic or goal")
        for tid in rules.excluded_by:
            self.one(file, ("excluded_by", tid), tid, self.topics | self.goals, "topic or goal")
        for index, duration in enumerate(rules.durations):
            self.one(file, ("durations", index, "topic"), duration.topic, self.topics, "topic")
        goals = rules.other_objects.goals
        self.each(file, ("other_objects", "goals"), goals, self.goals, "goal", "of topics.yml `goals`")
        if rules.objects:
            goals = rules.objects.goals
            self.each(file, ("objects", "goals"), goals, self.goals, "goal", "of topics.yml `goals`")

    def coverage_file(self) -> None:
        file, coverage = "coverage", self.base.coverage
        for sid in coverage.documents:
            self.one(file, ("documents", sid), sid, self.sources, "source")
        for index, fact in enumerate(coverage.facts):
            self.one(file, ("facts", index, "source"), fact.source, self.sources, "source")
            self.one(file, ("facts", index, "topic"), fact.topic, self.topics, "topic")
        for index, conflict in enumerate(coverage.contradictions):
            self.one(file, ("contradictions", index, "source"), conflict.source, self.sources, "source")
            self.each(file, ("contradictions", index, "topics"), conflict.topics, self.topics, "topic")
        for index, span in enumerate(coverage.not_stated):
            self.one(file, ("not_stated", index, "source"), span.source, self.sources, "source")

    def presentation_file(self) -> None:
        said = self.base.presentation.personal_data_warning
        self.said("presentation", ("personal_data_warning",), said)


def parse(files: Dict[Text, Any]) -> KnowledgeBase:
    """data/knowledge (file stem -> loaded YAML) as typed objects, or a `KnowledgeError` naming
    the file, the key and the problem."""
    missing = [name for name in FILES if name not in files]
    if missing:
        raise KnowledgeError(f"data/knowledge/{missing[0]}.yml: the file is missing")
    unknown = [name for name in files if name not in FILES]
    if unknown:
        raise KnowledgeError(
            f"data/knowledge/{unknown[0]}.yml: not a knowledge file (known: {', '.join(FILES)}.yml)"
        )
    parsed = {}
    for name, model in FILES.items():
        raw = files[name]
        if not isinstance(raw, dict):
            raise KnowledgeError(f"data/knowledge/{name}.yml: expected a mapping of keys, {_found(raw)}")
        try:
            parsed[name] = model.parse_obj(raw)
        except ValidationError as error:
            raise _problem(name, raw, error.errors()[0]) from None
    base = KnowledgeBase.construct(**parsed)
    _References(base).check()
    return base


def main() -> int:
    import sys

    from knowledge.loader import knowledge_dir, read_knowledge

    try:
        read_knowledge(knowledge_dir())
    except KnowledgeError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{knowledge_dir()}: the knowledge files are valid")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
