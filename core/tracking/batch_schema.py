"""The record models as one pydantic-core schema for a whole list of records: the hot path of bulk ingestion.

``ExecutionRecord``/``OutcomeRecord`` (``core.tracking.records``) are the contract; validating them one
model at a time costs ~6 µs per record in pydantic-core plus their Python validators and a model
instance. Here the same fields, with the *same* annotations and constraints (taken from the models'
``model_fields``, so the two cannot drift apart), become TypedDicts in one tagged union — by ``type``,
then for outcomes by ``kind``, where each kind's needed fields are required and not nullable — and a
list of records is validated in one call without any Python validator:

* what the models' validators check and the schema cannot (``""`` means none for label/experiment/arm;
  an arm needs an experiment; section ids are unique) is checked afterwards by
  ``core.tracking.validation`` in plain Python over the validated dicts;
* the schema is stricter than the models in one respect: the free-text fields of ``NUL_FREE_FIELDS``
  refuse U+0000 (a Rust regex: cheaper than looking for it in Python), which Postgres cannot store.
  Such a record takes the models' path below, and ``core.tracking.validation`` rejects it naming each
  field that holds one;
* a record the schema refuses comes back as ``None``: the caller validates it with the models, which
  name the field and the reason exactly as for a single record (and have the last word: whatever they
  accept is stored).
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Annotated, Any, Literal, NotRequired, Union, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter
from pydantic.fields import FieldInfo
from typing_extensions import TypedDict

from core.tracking.records import _NEEDED, ExecutionRecord, OutcomeKind, OutcomeRecord

# The Python validators the checks after the schema stand in for (tests/tracking/test_batch_schema.py
# fails when a model gains another one, until it is mirrored here and in core.tracking.validation).
MIRRORED_VALIDATORS = {ExecutionRecord: ("_check",), OutcomeRecord: ("_fields_for_kind",)}


def _config(model: type[BaseModel]) -> ConfigDict:
    config = cast("ConfigDict", {k: v for k, v in model.model_config.items() if k != "frozen"})
    # extra="forbid" costs a quarter of the validation (each input key is looked up among the fields):
    # extra keys are ignored instead, and a record that had any is told by its output having fewer keys.
    assert config.get("extra") == "forbid", "validate_batch assumes the models forbid unknown fields"
    config["extra"] = "ignore"
    return config


# Free-text fields (optional strings) whose values the schema checks for U+0000 (see the module docstring).
NUL_FREE_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {
    ExecutionRecord: ("label", "experiment", "arm", "model", "unit_id", "session_id"),
    OutcomeRecord: ("error", "original", "corrected"),
}
_NUL_FREE = StringConstraints(pattern=r"^[^\x00]*$")


def _non_optional(info: FieldInfo, *extra: Any) -> Any:
    """The field's annotation without ``None``, with its constraints (and ``extra`` ones)."""
    kept = [arg for arg in get_args(info.annotation) if arg is not type(None)]
    assert isinstance(info.annotation, types.UnionType), info.annotation
    assert len(kept) == 1, info.annotation
    return Annotated[(kept[0], *info.metadata, *extra)]


def _annotation(model: type[BaseModel], name: str, *, required: bool) -> Any:
    """A field's annotation for the schema: as the model has it, needed (not None) if ``required``, and
    refusing U+0000 if it is one of ``NUL_FREE_FIELDS``."""
    info = model.model_fields[name]
    if name in NUL_FREE_FIELDS[model]:
        nul_free = _non_optional(info, _NUL_FREE)
        return nul_free if required else nul_free | None
    return _non_optional(info) if required else info.rebuild_annotation()


def _typed_dict(name: str, model: type[BaseModel], overrides: dict[str, Any], needed: tuple[str, ...] = ()) -> Any:
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        annotation = overrides.get(field_name) or _annotation(model, field_name, required=field_name in needed)
        required = field_name in overrides or field_name in needed or info.is_required()
        fields[field_name] = annotation if required else NotRequired[annotation]
    typed: Any = TypedDict(name, fields)  # type: ignore[misc]  # a name known only at run time
    typed.__pydantic_config__ = _config(model)  # type: ignore[attr-defined]
    return typed


def _outcome_kind(kind: OutcomeKind) -> Any:
    overrides = {"type": Literal["outcome"], "kind": Literal[kind.value]}
    return _typed_dict(f"Outcome_{kind.value}", OutcomeRecord, overrides, _NEEDED.get(kind, ()))


_EXECUTION = _typed_dict("Execution", ExecutionRecord, {"type": Literal["execution"]})
_OUTCOME = Annotated[Union[tuple(_outcome_kind(kind) for kind in OutcomeKind)], Field(discriminator="kind")]  # type: ignore[valid-type]  # noqa: UP007
_RECORD = Annotated[Union[_EXECUTION, _OUTCOME], Field(discriminator="type")]  # type: ignore[valid-type]  # noqa: UP007
# A record the schema refuses comes back as the input object itself (the second choice), so that one
# bad record does not throw away the rest of the list.
_ITEM = Annotated[Union[_RECORD, Any], Field(union_mode="left_to_right")]  # noqa: UP007
_BATCH: TypeAdapter[list[Any]] = TypeAdapter(list[_ITEM])


def validate_batch(data: Sequence[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """For each input dict: the validated record as a new dict (defaults not filled in), or None."""
    validated = _BATCH.validate_python(data)
    # The output holds exactly the input's known fields: fewer keys means the input had unknown ones.
    return [None if out is raw or len(out) != len(raw) else out for out, raw in zip(validated, data, strict=True)]
