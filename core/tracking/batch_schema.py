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
* a record the schema refuses comes back as ``None``: the caller validates it with the models, which
  name the field and the reason exactly as for a single record (and have the last word: whatever they
  accept is stored).
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Annotated, Any, Literal, NotRequired, Union, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
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


def _non_optional(info: FieldInfo) -> Any:
    """The field's annotation without ``None``, with its constraints (a needed field must be given)."""
    kept = [arg for arg in get_args(info.annotation) if arg is not type(None)]
    assert isinstance(info.annotation, types.UnionType), info.annotation
    assert len(kept) == 1, info.annotation
    return Annotated[(kept[0], *info.metadata)]


def _typed_dict(name: str, model: type[BaseModel], overrides: dict[str, Any]) -> Any:
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        annotation = overrides.get(field_name, info.rebuild_annotation())
        required = field_name in overrides or info.is_required()
        fields[field_name] = annotation if required else NotRequired[annotation]
    typed: Any = TypedDict(name, fields)  # type: ignore[misc]  # a name known only at run time
    typed.__pydantic_config__ = _config(model)  # type: ignore[attr-defined]
    return typed


def _outcome_kind(kind: OutcomeKind) -> Any:
    needed = {name: _non_optional(OutcomeRecord.model_fields[name]) for name in _NEEDED.get(kind, ())}
    return _typed_dict(
        f"Outcome_{kind.value}", OutcomeRecord, {"type": Literal["outcome"], "kind": Literal[kind.value], **needed}
    )


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
