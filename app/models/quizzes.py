"""Quiz attempts and the answers given in them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, enum_column, utcnow


class AttemptStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    ABANDONED = "abandoned"


class QuizAttempt(db.Model):
    """One go at a module's quiz: the questions drawn, the order shown, and (once submitted) the result."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (
        # At most one attempt in progress per person and quiz: a double click on "start" makes one.
        Index(
            "uq_quiz_attempt_one_in_progress",
            "user_id",
            "module_id",
            unique=True,
            postgresql_where=text("status = 'in_progress'"),
            sqlite_where=text("status = 'in_progress'"),
        ),
        Index("ix_quiz_attempt_user_id_module_id", "user_id", "module_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    module_id: Mapped[str] = mapped_column(String(100))
    # The quiz file's hash when the attempt began: marking uses that version's questions.
    quiz_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[AttemptStatus] = mapped_column(
        enum_column(AttemptStatus, "status"), default=AttemptStatus.IN_PROGRESS
    )
    # The questions drawn, in the order asked, and the order each question's options were shown in.
    question_ids: Mapped[list[str]] = mapped_column(JSON)
    option_order: Mapped[dict[str, Any]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    pass_mark: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)

    answers: Mapped[list[QuizAnswer]] = relationship(back_populates="attempt", order_by="QuizAnswer.id")


class QuizAnswer(db.Model):
    __tablename__ = "quiz_answer"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id"))
    question_id: Mapped[str] = mapped_column(String(100))
    response: Mapped[Any] = mapped_column(JSON)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the attempt is submitted and marked.
    correct: Mapped[bool | None] = mapped_column(Boolean)

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")


class ExtraQuizAttempts(db.Model):
    """A leader's grant of more attempts at a quiz to one person (an access arrangement)."""

    __tablename__ = "extra_quiz_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    module_id: Mapped[str] = mapped_column(String(100))
    extra: Mapped[int] = mapped_column(Integer)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(String(500))
    # The submitting form's once-only key: a repeated submit grants nothing more.
    once_key: Mapped[str] = mapped_column(String(64), unique=True)
