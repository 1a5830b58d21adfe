"""Self-assessment on the key questions: rounds, each invited person's response, the school's agreed
position, the actions that follow, and people's private reflections.

A round keeps the questions as they were asked (text and level descriptors) and each answer keeps
its question's id, so a later change to the content never rewrites what was answered.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, enum_column, utcnow
from app.models.people import User


class RatingLevel(enum.StrEnum):
    """The four-level scale every key question is rated on, lowest first."""

    NOT_YET = "not_yet"
    DEVELOPING = "developing"
    ESTABLISHED = "established"
    EMBEDDED = "embedded"

    @property
    def label(self) -> str:
        return RATING_LABELS[self]

    @property
    def score(self) -> int:
        """1 to 4: where the level sits on a chart."""
        return list(RatingLevel).index(self) + 1


RATING_LABELS = {
    RatingLevel.NOT_YET: "Not yet in place",
    RatingLevel.DEVELOPING: "Developing",
    RatingLevel.ESTABLISHED: "Established",
    RatingLevel.EMBEDDED: "Embedded",
}


class ResponseStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    DRAFT = "draft"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        return {"not_started": "Not started", "draft": "Draft saved", "submitted": "Submitted"}[self.value]


class ActionStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"

    @property
    def label(self) -> str:
        return {"not_started": "Not started", "in_progress": "In progress", "done": "Done"}[self.value]


class SelfAssessmentRound(db.Model):
    """One school's round of answers to one set of key questions, led by the person who opened it."""

    __tablename__ = "self_assessment_round"
    __table_args__ = (
        # The opening form carries a one-time key: submitting it twice opens one round.
        UniqueConstraint("school_id", "request_key"),
        Index("ix_self_assessment_round_school_id_set_id", "school_id", "set_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    set_id: Mapped[str] = mapped_column(String(100))
    set_title: Mapped[str] = mapped_column(String(200))
    # The questions as asked: [{"id", "text", "levels": {level: descriptor}}], in order.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    lead_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # The roles whose holders were invited, for saying who was asked.
    invited_roles: Mapped[list[str]] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Answers are accepted until the end of this day.
    closes_on: Mapped[date] = mapped_column(Date)
    request_key: Mapped[str] = mapped_column(String(64))
    # The round on the same set before this one, if any: its position is shown beside this one's.
    previous_round_id: Mapped[int | None] = mapped_column(ForeignKey("self_assessment_round.id"))
    # Bumped by every save of the agreed position, so that a stale save is refused, not applied.
    position_version: Mapped[int] = mapped_column(Integer, default=0)
    position_agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    position_agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    lead: Mapped[User] = relationship(foreign_keys=[lead_id])
    previous_round: Mapped[SelfAssessmentRound | None] = relationship(remote_side=[id])
    responses: Mapped[list[SelfAssessmentResponse]] = relationship(
        back_populates="round", order_by="SelfAssessmentResponse.id"
    )
    positions: Mapped[list[SelfAssessmentPosition]] = relationship(order_by="SelfAssessmentPosition.id")

    @property
    def question_ids(self) -> list[str]:
        return [question["id"] for question in self.questions]

    def is_open(self, today: date) -> bool:
        return today <= self.closes_on


class SelfAssessmentResponse(db.Model):
    """An invited person's answers to a round: one row per invitation, made when the round opens."""

    __tablename__ = "self_assessment_response"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("self_assessment_round.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[ResponseStatus] = mapped_column(
        enum_column(ResponseStatus, "status"), default=ResponseStatus.NOT_STARTED
    )
    # Bumped by every save: a save made from an older copy of the page is refused (two tabs, say).
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[SelfAssessmentRound] = relationship(back_populates="responses")
    user: Mapped[User] = relationship()
    answers: Mapped[list[SelfAssessmentAnswer]] = relationship(
        back_populates="response", order_by="SelfAssessmentAnswer.id"
    )

    def answer_to(self, question_id: str) -> SelfAssessmentAnswer | None:
        for answer in self.answers:
            if answer.question_id == question_id:
                return answer
        return None


class SelfAssessmentAnswer(db.Model):
    __tablename__ = "self_assessment_answer"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("self_assessment_response.id"))
    question_id: Mapped[str] = mapped_column(String(100))
    rating: Mapped[RatingLevel | None] = mapped_column(enum_column(RatingLevel, "rating"))
    evidence: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(Text, default="")

    response: Mapped[SelfAssessmentResponse] = relationship(back_populates="answers")


class SelfAssessmentPosition(db.Model):
    """The school's agreed rating and evidence for one question of a round, recorded by the lead."""

    __tablename__ = "self_assessment_position"
    __table_args__ = (UniqueConstraint("round_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("self_assessment_round.id"))
    question_id: Mapped[str] = mapped_column(String(100))
    rating: Mapped[RatingLevel] = mapped_column(enum_column(RatingLevel, "rating"))
    evidence: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SelfAssessmentAction(db.Model):
    """Something the school will do about a key question. It belongs to the school and the set, not
    to one round, so it stays on every later round's page until it is done."""

    __tablename__ = "self_assessment_action"
    __table_args__ = (
        UniqueConstraint("school_id", "request_key"),
        Index("ix_self_assessment_action_school_id_set_id", "school_id", "set_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    set_id: Mapped[str] = mapped_column(String(100))
    question_id: Mapped[str] = mapped_column(String(100))
    # The round whose position raised it.
    round_id: Mapped[int] = mapped_column(ForeignKey("self_assessment_round.id"))
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus, "status"), default=ActionStatus.NOT_STARTED)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    request_key: Mapped[str] = mapped_column(String(64))

    def is_overdue(self, today: date | None = None) -> bool:
        """Past its due date and not done: flagged wherever the action is listed."""
        return self.status is not ActionStatus.DONE and self.due_on < (today or date.today())


class KeyQuestionReflection(db.Model):
    """A person's private answer to a key question: theirs alone, never shown to anyone else."""

    __tablename__ = "key_question_reflection"
    __table_args__ = (UniqueConstraint("user_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    question_id: Mapped[str] = mapped_column(String(100))
    rating: Mapped[RatingLevel | None] = mapped_column(enum_column(RatingLevel, "rating"))
    notes: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
