"""Synthetic pupils and answers, generated a whole array at a time with numpy.

The same latent model as the demo (`survey.demo`), vectorised: pupils with SEN, on free school meals,
looked after, or from Black Caribbean, Gypsy/Roma and Irish Traveller backgrounds report lower
belonging and lose more learning; boys lose more learning too. Every answer is one the questionnaire
allows: option values from its response sets, routing (`show_if`) followed, "prefer not to say" only
where offered, and no "About you" section (that is only for anonymous class sessions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from questionnaires import Question, Questionnaire

from ..demo import ETHNICITIES, FREE_TEXT, MAJOR

SKIP_RATE = 0.03
PREFER_NOT_RATE = 0.02
TEXT_RATE = 0.12
MINORS = np.array([e for e, _ in ETHNICITIES])
MINOR_SHARES = np.array([w for _, w in ETHNICITIES]) / sum(w for _, w in ETHNICITIES)
# Extra disadvantage (belonging) and log-odds of lost learning for a few ethnic groups, as in the demo.
ETHNIC_SHIFT = {"BCRB": (0.25, 0.7), "MWBC": (0.2, 0.5), "WIRT": (0.45, 0.9), "WROM": (0.45, 0.9)}


@dataclass
class Pupils:
    year_group: np.ndarray
    gender: np.ndarray
    ethnicity_minor: np.ndarray
    ethnicity_major: np.ndarray
    sen: np.ndarray
    fsm: np.ndarray
    eal: np.ndarray
    looked_after: np.ndarray

    def __len__(self) -> int:
        return len(self.year_group)

    def disadvantage(self) -> np.ndarray:
        """How much lower this pupil's experience is on average, in latent SD units."""
        shift = np.select([self.sen == "K", self.sen == "E"], [0.3, 0.4], 0.0)
        shift += 0.25 * self.fsm + 0.3 * self.looked_after + 0.45 * (self.gender == "O")
        for minor, (belonging, _) in ETHNIC_SHIFT.items():
            shift += belonging * (self.ethnicity_minor == minor)
        return shift

    def exclusion_risk(self) -> np.ndarray:
        """Extra log-odds of lost learning, a little larger than the gap in belonging."""
        logit = np.select([self.sen == "K", self.sen == "E"], [0.6, 0.8], 0.0)
        logit += 0.5 * self.fsm + 0.6 * self.looked_after + 0.4 * (self.gender == "M")
        for minor, (_, risk) in ETHNIC_SHIFT.items():
            logit += risk * (self.ethnicity_minor == minor)
        return logit


def pupils(rng: np.random.Generator, years: tuple[int, ...], fsm_rate: np.ndarray) -> Pupils:
    """One pupil per entry of `fsm_rate` (each pupil's school's share on free school meals)."""
    n = len(fsm_rate)
    which = rng.choice(len(MINORS), size=n, p=MINOR_SHARES)
    minor, major = MINORS[which], np.array([MAJOR[m[0]] for m in MINORS])[which]
    british = np.isin(minor, ["WBRI", "WIRT"])
    return Pupils(
        year_group=rng.choice(np.array(years), size=n),
        gender=np.array(list("FMO"))[rng.choice(3, size=n, p=[0.49, 0.49, 0.02])],
        ethnicity_minor=minor,
        ethnicity_major=major,
        sen=np.array(list("NKE"))[rng.choice(3, size=n, p=[0.83, 0.13, 0.04])],
        fsm=rng.random(n) < fsm_rate,
        eal=rng.random(n) < np.where(british, 0.02, 0.5),
        looked_after=rng.random(n) < 0.01,
    )


@dataclass
class Answers:
    """Long format, one entry per answer row; `choices` and `text` index into their lookup lists."""

    response: np.ndarray  # position of the pupil in the chunk
    question: np.ndarray  # position in `questions`
    value: np.ndarray  # -1 for none
    choices: np.ndarray  # index into `choice_texts`, -1 for none
    text: np.ndarray  # index into FREE_TEXT, -1 for none
    prefer_not: np.ndarray
    questions: list[str]
    choice_texts: list[str]


def _ordinal(latent: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Latent scores to options: thresholds spread evenly, skewed towards agreement as in surveys."""
    k = len(values)
    cuts = np.array([(-1.2 + 2.4 * (i + 1) / k) - 0.55 for i in range(k - 1)])
    return values[np.searchsorted(cuts, latent, side="left")]


def answers(rng: np.random.Generator, q: Questionnaire, who: Pupils, school_effect: np.ndarray) -> Answers:
    """Answers for every pupil: `school_effect` is each pupil's school's shift in latent SD units."""
    n = len(who)
    general = rng.normal(school_effect - who.disadvantage(), 1.0)
    scale_latent = {s.id: 0.7 * general + rng.normal(0, 0.7, n) for s in q.scales}
    risk = who.exclusion_risk() - 0.3 * general
    chosen: dict[str, tuple[np.ndarray, Question, list[tuple[int, ...]]]] = {}
    asked_questions = [
        (question, "lost" in section.id)
        for section in q.sections
        if section.only_in != "anonymous"
        for question in section.questions
    ]
    # One column per question; row-major boolean indexing then yields answers ordered by pupil and
    # questionnaire order (as pupils save them), with no sort.
    shape = (n, len(asked_questions))
    present = np.zeros(shape, dtype=bool)
    values = np.full(shape, -1, dtype=np.int32)
    choices = np.full(shape, -1, dtype=np.int32)
    texts = np.full(shape, -1, dtype=np.int16)
    prefer_not = np.zeros(shape, dtype=bool)
    choice_texts: list[str] = []
    for j, (question, lost) in enumerate(asked_questions):
        answered = _asked(question, chosen, n) & (rng.random(n) >= SKIP_RATE)
        declined = answered & (rng.random(n) < PREFER_NOT_RATE) if question.prefer_not_to_say else None
        local = None  # a `multiple` answer's index into this question's combinations
        if question.type == "single":
            values[:, j] = _single(rng, q, question, scale_latent, risk if lost else None, n)
        elif question.type == "number":
            values[:, j] = rng.integers(question.min or 0, (question.max or 10) + 1, size=n)
        elif question.type == "multiple":
            combos, local = _multiple(rng, question, n)
            choices[:, j] = local + len(choice_texts)
            choice_texts += [json.dumps(list(c)) for c in combos]
        elif question.type == "text":
            answered &= rng.random(n) < TEXT_RATE
            texts[:, j] = rng.integers(0, len(FREE_TEXT), size=n)
        if declined is not None:
            prefer_not[:, j] = declined
            for column in (values, choices, texts):
                column[declined, j] = -1
        present[:, j] = answered
        if question.type == "single":
            chosen[question.id] = (np.where(answered, values[:, j], -1), question, [])
        elif question.type == "multiple":
            kept = answered if declined is None else answered & ~declined
            chosen[question.id] = (np.where(kept, local, -1), question, combos)
    response = np.broadcast_to(np.arange(n)[:, None], shape)[present]
    question = np.broadcast_to(np.arange(shape[1], dtype=np.int32)[None, :], shape)[present]
    return Answers(
        response,
        question,
        values[present],
        choices[present],
        texts[present],
        prefer_not[present],
        [q.id for q, _ in asked_questions],
        choice_texts,
    )


def _asked(question: Question, chosen: dict, n: int) -> np.ndarray:
    if not question.show_if:
        return np.ones(n, dtype=bool)
    earlier, asked_question, combos = chosen[question.show_if.question]
    wanted = set(question.show_if.any_of)
    if asked_question.type == "multiple":
        hits = np.array([bool(wanted & set(c)) for c in combos] + [False])
        return hits[earlier]  # -1 (not answered) picks the final False
    return np.isin(earlier, list(wanted))


def _single(rng, q: Questionnaire, question: Question, scale_latent, risk, n: int) -> np.ndarray:
    values = np.array(question.values)
    if question.scale:
        scale = q.scale(question.scale)
        value = _ordinal(scale_latent[scale.id] + rng.normal(0, 0.6, n), values)
        if question.id in scale.reverse:
            low, high = scale.range
            value = low + high - value
        return value
    if risk is not None:
        # Lost-learning items: the first option is "never" or "no"; more is worse.
        p = 1 / (1 + np.exp(-(risk - 1.6 - 0.4 * rng.random(n))))
        worse = values[1:3] if len(values) > 2 else values[1:]
        return np.where(rng.random(n) >= p, values[0], rng.choice(worse, size=n))
    return rng.choice(values, size=n)


def _multiple(rng, question: Question, n: int) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """One or two of the non-exclusive options; returns the combinations and each pupil's index."""
    plain = [o.value for o in question.options if not o.exclusive]
    m = len(plain)
    combos = [(v,) for v in plain] + [(plain[i], plain[j]) for i in range(m) for j in range(i + 1, m)]
    first = rng.integers(0, m, size=n)
    second = (first + 1 + rng.integers(0, max(m - 1, 1), size=n)) % m
    two = (rng.random(n) < 1 / 3) & (m > 1)
    low, high = np.minimum(first, second), np.maximum(first, second)
    # Index of the pair (low, high) in `combos`: pairs are listed row by row after the singles.
    pair = m + low * (2 * m - low - 1) // 2 + (high - low - 1)
    return combos, np.where(two, pair, first)
