"""A form for any pydantic settings model, built from its fields (Admin → prompt settings).

Per-prompt settings grow as modules add fields (segment dimensions, insight thresholds, ...), so
the Admin page renders whatever :class:`core.registry.settings.PromptSettings` declares instead of
knowing the fields: booleans become checkboxes, numbers number inputs, strings text inputs, choices
(``Literal``) select boxes, lists of strings comma-separated text, nested models a group of their
own fields, and anything else JSON. Validation stays with the model (``update_prompt_settings``).
"""

from __future__ import annotations

import json
import types
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

import streamlit as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from core.errors import ValidationError


@dataclass(frozen=True)
class FieldKind:
    """How one field is edited: ``widget`` plus, for optional fields, whether blank means None."""

    widget: Literal["model", "bool", "int", "float", "str", "choice", "str_list", "json"]
    optional: bool = False
    choices: tuple[Any, ...] = ()
    model: type[BaseModel] | None = None


_SIMPLE: dict[Any, Literal["bool", "int", "float", "str"]] = {bool: "bool", int: "int", float: "float", str: "str"}


def field_kind(annotation: Any) -> FieldKind:
    origin, args = get_origin(annotation), get_args(annotation)
    optional = False
    if origin in (Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            return FieldKind("json", optional=len(rest) < len(args))
        optional, annotation = len(rest) < len(args), rest[0]
        origin, args = get_origin(annotation), get_args(annotation)
    kind = FieldKind("json", optional)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and not optional:
        kind = FieldKind("model", model=annotation)
    elif annotation in _SIMPLE:
        kind = FieldKind(_SIMPLE[annotation], optional)
    elif origin is Literal:
        kind = FieldKind("choice", optional, choices=tuple(args))
    elif origin is list and args and args[0] is str:
        kind = FieldKind("str_list", optional)
    return kind


def _label(name: str, info: FieldInfo) -> str:
    return info.title or name.replace("_", " ").capitalize()


def _number(text: str, *, name: str, kind: str, optional: bool) -> Any:
    text = text.strip()
    if not text:
        if optional:
            return None
        raise ValidationError(f"{name}: enter a number")
    try:
        return int(text) if kind == "int" else float(text)
    except ValueError:
        raise ValidationError(f"{name}: '{text}' is not {'a whole number' if kind == 'int' else 'a number'}") from None


def model_inputs(
    model: type[BaseModel], current: BaseModel, *, key: str, errors: list[str], path: str = ""
) -> dict[str, Any]:
    """Render inputs for every field of ``model`` (inside the caller's form); return the entered values.

    Text that cannot be read as its field's type is reported in ``errors`` (the field is left out),
    so the whole form still renders.
    """
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        dotted = f"{path}{name}"
        value = getattr(current, name)
        kind = field_kind(info.annotation)
        label, help_text, widget_key = _label(name, info), info.description, f"{key}.{dotted}"
        if kind.widget == "model" and kind.model is not None:
            st.markdown(f"**{label}**" + (f" — {help_text}" if help_text else ""))
            values[name] = model_inputs(kind.model, value, key=key, errors=errors, path=f"{dotted}.")
        elif kind.widget == "bool" and not kind.optional:
            values[name] = st.checkbox(label, value=bool(value), help=help_text, key=widget_key)
        elif kind.widget in ("int", "float"):
            text = st.text_input(label, value="" if value is None else str(value), help=help_text, key=widget_key)
            try:
                values[name] = _number(text, name=dotted, kind=kind.widget, optional=kind.optional)
            except ValidationError as exc:
                errors.append(str(exc))
        elif kind.widget == "str":
            text = st.text_input(label, value=value or "", help=help_text, key=widget_key)
            values[name] = None if kind.optional and not text.strip() else text
        elif kind.widget == "choice":
            options = [*((None,) if kind.optional else ()), *kind.choices]
            index = options.index(value) if value in options else 0
            values[name] = st.selectbox(label, options, index=index, help=help_text, key=widget_key)
        elif kind.widget == "str_list":
            shown = ", ".join(value or [])
            text = st.text_input(label, value=shown, help=(help_text or "") + " (comma-separated)", key=widget_key)
            values[name] = [item.strip() for item in text.split(",") if item.strip()]
        else:
            shown = json.dumps(_plain(value), indent=2, sort_keys=True)
            text = st.text_area(label, value=shown, help=(help_text or "") + " (JSON)", key=widget_key)
            try:
                values[name] = json.loads(text) if text.strip() else None
            except json.JSONDecodeError as exc:
                errors.append(f"{dotted}: not valid JSON ({exc.msg} at line {exc.lineno})")
    return values


def _plain(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def changed_fields(current: BaseModel, entered: dict[str, Any]) -> dict[str, Any]:
    """The top-level fields whose entered value differs from the current one (what to send)."""
    now = current.model_dump(mode="json")
    return {name: value for name, value in entered.items() if value != now.get(name)}
