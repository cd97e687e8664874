"""Reading change requests: views for lists and one request's full detail (comments, history, moves)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from core.db.models.audit import AuditEvent
from core.db.models.governance import CHANGE_KINDS, CHANGE_STATUSES, ChangeRequest, ChangeRequestComment
from core.db.models.registry import Prompt, PromptVersion
from core.errors import NotFoundError, ValidationError
from core.registry.labels import LabelHistoryEntry, label_history


@dataclass(frozen=True)
class ChangeRequestView:
    id: int
    kind: str
    status: str
    prompt: str
    label: str | None
    base_version: str | None  # the label's version when the request was made (None: no label yet)
    target_version: str | None
    payload: dict[str, Any]
    evidence: dict[str, Any]
    reason: str
    requested_by: str
    requester_kind: str
    apply_after: datetime | None
    auto_approved: bool
    decided_by: str | None
    decided_at: datetime | None
    applied_by: str | None
    applied_at: datetime | None
    status_detail: str
    superseded_by_id: int | None
    created_at: datetime
    updated_at: datetime

    def title(self) -> str:
        if self.kind in ("promote_version", "policy_change"):
            verb = "policy change" if self.kind == "policy_change" else "promote"
            return f"#{self.id} {verb}: {self.prompt} {self.label} {self.base_version or '∅'} → {self.target_version}"
        if self.kind == "rollback":
            return f"#{self.id} rollback: {self.prompt} {self.label} {self.base_version} → {self.target_version}"
        return f"#{self.id} {self.kind.replace('_', ' ')}: {self.prompt}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary_dict(self) -> dict[str, Any]:
        """Without the bulky evidence (for lists and notifications)."""
        data = self.to_dict()
        evidence = data.pop("evidence")
        data["evidence_summary"] = evidence.get("summary", "")
        data["diff_summary"] = evidence.get("diff", {}).get("summary", [])
        return data


@dataclass(frozen=True)
class CommentView:
    id: int
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class HistoryEntry:
    """One audit event about the request (opened, approved, applied, commented, ...)."""

    occurred_at: datetime
    actor: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class ChangeRequestDetail:
    request: ChangeRequestView
    comments: tuple[CommentView, ...]
    history: tuple[HistoryEntry, ...]
    label_moves: tuple[LabelHistoryEntry, ...]  # the moves this request made (apply)

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": self.request.to_dict(),
            "comments": [asdict(c) for c in self.comments],
            "history": [asdict(h) for h in self.history],
            "label_moves": [asdict(m) for m in self.label_moves],
        }


def _select_views(
    session: Session, *conditions: ColumnElement[bool], limit: int | None = None
) -> list[ChangeRequestView]:
    base = aliased(PromptVersion)
    target = aliased(PromptVersion)
    query = (
        select(ChangeRequest, Prompt.name, base.version, target.version)
        .join(Prompt, Prompt.id == ChangeRequest.prompt_id)
        .outerjoin(base, base.id == ChangeRequest.base_version_id)
        .outerjoin(target, target.id == ChangeRequest.target_version_id)
        .where(*conditions)
        .order_by(ChangeRequest.id.desc())
        .limit(limit)
    )
    return [
        _view(row, prompt, base_version, target_version)
        for row, prompt, base_version, target_version in session.execute(query).all()
    ]


def _view(row: ChangeRequest, prompt: str, base: str | None, target: str | None) -> ChangeRequestView:
    return ChangeRequestView(
        id=row.id,
        kind=row.kind,
        status=row.status,
        prompt=prompt,
        label=row.label,
        base_version=base,
        target_version=target,
        payload=dict(row.payload),
        evidence=dict(row.evidence),
        reason=row.reason,
        requested_by=row.requested_by,
        requester_kind=row.requester_kind,
        apply_after=row.apply_after,
        auto_approved=row.auto_approved,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        applied_by=row.applied_by,
        applied_at=row.applied_at,
        status_detail=row.status_detail,
        superseded_by_id=row.superseded_by_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def view_of(session: Session, request_id: int) -> ChangeRequestView:
    session.flush()
    found = _select_views(session, ChangeRequest.id == request_id)
    if not found:
        raise NotFoundError(f"unknown change request #{request_id} (see `promptloop changes list`)")
    return found[0]


def _as_list(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def list_change_requests(
    session: Session,
    *,
    status: str | Sequence[str] | None = None,
    prompt_name: str | None = None,
    label: str | None = None,
    kind: str | Sequence[str] | None = None,
    requested_by: str | None = None,
    applied_since: datetime | None = None,
    limit: int = 200,
) -> list[ChangeRequestView]:
    """Newest first, filtered by any of the arguments (``status``/``kind`` take one or several).

    ``applied_since`` keeps requests applied at or after that time (the post-apply watch uses it).
    """
    statuses, kinds = _as_list(status), _as_list(kind)
    if statuses is not None and (unknown := sorted(set(statuses) - set(CHANGE_STATUSES))):
        raise ValidationError(f"unknown status {', '.join(unknown)}; use one of {', '.join(CHANGE_STATUSES)}")
    if kinds is not None and (unknown := sorted(set(kinds) - set(CHANGE_KINDS))):
        raise ValidationError(f"unknown kind {', '.join(unknown)}; use one of {', '.join(CHANGE_KINDS)}")
    conditions: list[ColumnElement[bool]] = []
    if statuses is not None:
        conditions.append(ChangeRequest.status.in_(statuses))
    if kinds is not None:
        conditions.append(ChangeRequest.kind.in_(kinds))
    if prompt_name is not None:
        conditions.append(Prompt.name == prompt_name)
    if label is not None:
        conditions.append(ChangeRequest.label == label)
    if requested_by is not None:
        conditions.append(ChangeRequest.requested_by == requested_by)
    if applied_since is not None:
        conditions.append(ChangeRequest.applied_at >= applied_since)
    return _select_views(session, *conditions, limit=limit)


def get_change_request(session: Session, *, request_id: int) -> ChangeRequestDetail:
    """One request with its comments, its audit history and the label moves it made."""
    view = view_of(session, request_id)
    comments = session.scalars(
        select(ChangeRequestComment)
        .where(ChangeRequestComment.change_request_id == request_id)
        .order_by(ChangeRequestComment.id)
    )
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "change_request", AuditEvent.entity_id == str(request_id))
        .order_by(AuditEvent.id)
    )
    moves: tuple[LabelHistoryEntry, ...] = ()
    if view.label is not None:
        prompt = session.scalar(select(Prompt).where(Prompt.name == view.prompt))
        assert prompt is not None  # foreign key
        moves = tuple(
            m for m in label_history(session, prompt=prompt, label=view.label) if m.change_request_id == request_id
        )
    return ChangeRequestDetail(
        request=view,
        comments=tuple(CommentView(c.id, c.author, c.body, c.created_at) for c in comments),
        history=tuple(HistoryEntry(e.occurred_at, e.actor, e.action, e.before, e.after) for e in events),
        label_moves=moves,
    )
