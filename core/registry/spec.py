"""The version spec: what a prompt version contains, as a documented, validated YAML/JSON format.

```yaml
sections:                      # ordered; rendered in this order
  - id: identity_role          # [a-z][a-z0-9_]*, unique within the version
    kind: required             # guardrail | required | optional  (default: required)
    text: |                    # static text; a sandboxed Jinja template ({{ variable }})
      You are an assistant that turns a spoken thought into an intent.
  - id: memory_recall_snippets
    kind: optional
    text: "Use what you remember about this user when it helps."
instructions: "Extract the intent from: {{ transcript }}"   # rendered after sections and examples
examples:                      # few-shot examples, rendered between sections and instructions
  - input: "remind me to call mum"
    output: '{"intent": "reminder"}'
variables:                     # every variable a template uses must be declared
  - transcript                 # shorthand for {name: transcript, required: true}
  - {name: locale, required: false, default: "en"}
token_budget: 1200             # max prompt tokens the assembler may spend (optional)
model: {name: gpt-4o-mini, temperature: 0.2, max_tokens: 400}   # provider-specific keys allowed
policy:                        # optional; derived from the kinds when omitted
  required: [identity_role]    # always included (guardrail sections must be here)
  optional: [memory_recall_snippets]   # included when the caller asks for them
  banned: [chit_chat]          # never included; must not be defined above
notes: "why this version exists"   # metadata: not part of the content hash
```

The *content* (everything but ``notes``) is canonicalised and hashed; two specs with the same
content are the same version. Text is normalised before hashing: ``\\r\\n`` becomes ``\\n`` and
trailing whitespace at the end of a text block is dropped (YAML block scalars add a newline).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.errors import ValidationError as PromptloopValidationError

SectionKind = Literal["guardrail", "required", "optional"]
IDENTIFIER = r"^[a-z][a-z0-9_]{0,63}$"
VARIABLE = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"

_PARSE_ENV = ImmutableSandboxedEnvironment()


class SpecError(PromptloopValidationError):
    """A spec was rejected. ``problems`` holds one ``(field path, message)`` per problem."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = "; ".join(f"{path}: {message}" if path else message for path, message in problems)
        super().__init__(f"invalid version spec {source}: {lines}")


def _normalise_text(value: str) -> str:
    return value.replace("\r\n", "\n").rstrip()


def _reject_duplicates(what: str, values: list[str]) -> None:
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise ValueError(f"duplicate {what}: {', '.join(duplicates)}")


def _declared(info: ValidationInfo) -> set[str] | None:
    """Declared variable names, or None when the variables themselves failed validation."""
    if "variables" not in info.data:
        return None
    return {v.name for v in info.data["variables"]}


def _check_template(where: str, source: str, declared: set[str]) -> None:
    try:
        used = meta.find_undeclared_variables(_PARSE_ENV.parse(source))
    except TemplateSyntaxError as exc:
        raise ValueError(f"{where}: template syntax error on line {exc.lineno}: {exc.message}") from exc
    undeclared = sorted(used - declared)
    if undeclared:
        raise ValueError(f"{where} uses undeclared variables: {', '.join(undeclared)} (declare them under variables)")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class SectionSpec(_Strict):
    id: str = Field(pattern=IDENTIFIER, description="Section id, unique within the version.")
    kind: SectionKind = "required"
    text: str = Field(min_length=1, description="Static text; a Jinja template over the declared variables.")

    @field_validator("text")
    @classmethod
    def _norm(cls, value: str) -> str:
        value = _normalise_text(value)
        if not value:
            raise ValueError("must not be blank")
        return value


class ExampleSpec(_Strict):
    input: str = Field(min_length=1)
    output: str = Field(min_length=1)

    @field_validator("input", "output")
    @classmethod
    def _norm(cls, value: str) -> str:
        return _normalise_text(value)


class VariableSpec(_Strict):
    name: str = Field(pattern=VARIABLE)
    description: str = ""
    required: bool = True
    default: str | None = None

    @model_validator(mode="after")
    def _default_only_if_optional(self) -> VariableSpec:
        if self.required and self.default is not None:
            raise ValueError("a variable with a default must have required: false")
        return self


class ModelParams(BaseModel):
    """Model parameters. Known keys are validated; provider-specific extras are kept as given."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int | None = Field(default=None, gt=0)


class SectionPolicy(_Strict):
    required: list[str] = Field(default_factory=list)
    optional: list[str] = Field(default_factory=list)
    banned: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _disjoint(self) -> SectionPolicy:
        groups = {"required": self.required, "optional": self.optional, "banned": self.banned}
        seen: dict[str, str] = {}
        for group, ids in groups.items():
            for section_id in ids:
                if section_id in seen:
                    raise ValueError(f"section '{section_id}' is listed in both {seen[section_id]} and {group}")
                seen[section_id] = group
        return self


class VersionContent(_Strict):
    """Everything that defines a version's behaviour: this is what is hashed and diffed.

    Fields are declared in validation order: variables before the templates that use them,
    sections before the policy that places them, so every error names its own field.
    """

    variables: list[VariableSpec] = Field(default_factory=list)
    sections: list[SectionSpec] = Field(min_length=1)
    instructions: str = ""
    examples: list[ExampleSpec] = Field(default_factory=list)
    token_budget: int | None = Field(default=None, gt=0)
    model: ModelParams = Field(default_factory=ModelParams)
    policy: SectionPolicy | None = None

    @field_validator("variables", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("variables")
    @classmethod
    def _unique_names(cls, value: list[VariableSpec]) -> list[VariableSpec]:
        _reject_duplicates("variable names", [v.name for v in value])
        return value

    @field_validator("sections")
    @classmethod
    def _sections(cls, value: list[SectionSpec], info: ValidationInfo) -> list[SectionSpec]:
        _reject_duplicates("section ids", [s.id for s in value])
        declared = _declared(info)
        if declared is not None:
            for section in value:
                _check_template(f"section '{section.id}'", section.text, declared)
        return value

    @field_validator("instructions")
    @classmethod
    def _instructions(cls, value: str, info: ValidationInfo) -> str:
        value = _normalise_text(value)
        declared = _declared(info)
        if value and declared is not None:
            _check_template("instructions", value, declared)
        return value

    @field_validator("policy")
    @classmethod
    def _policy(cls, value: SectionPolicy | None, info: ValidationInfo) -> SectionPolicy | None:
        sections: list[SectionSpec] | None = info.data.get("sections")
        if value is None or sections is None:
            return value
        defined = {s.id for s in sections}
        unknown = sorted((set(value.required) | set(value.optional)) - defined)
        if unknown:
            raise ValueError(f"names sections that are not defined: {', '.join(unknown)}")
        banned_defined = sorted(set(value.banned) & defined)
        if banned_defined:
            raise ValueError(f"banned sections must not be defined in the version: {', '.join(banned_defined)}")
        unplaced = sorted(defined - set(value.required) - set(value.optional))
        if unplaced:
            raise ValueError(f"sections must be listed as required or optional: {', '.join(unplaced)}")
        loose = sorted(s.id for s in sections if s.kind == "guardrail" and s.id not in value.required)
        if loose:
            raise ValueError(f"guardrail sections must be required: {', '.join(loose)}")
        return value

    def template_sources(self) -> list[tuple[str, str]]:
        sources = [(f"section '{s.id}'", s.text) for s in self.sections]
        if self.instructions:
            sources.append(("instructions", self.instructions))
        return sources

    def effective_policy(self) -> SectionPolicy:
        """The explicit policy, or the one implied by the section kinds."""
        if self.policy is not None:
            return self.policy
        return SectionPolicy(
            required=[s.id for s in self.sections if s.kind != "optional"],
            optional=[s.id for s in self.sections if s.kind == "optional"],
        )

    def canonical(self) -> dict[str, Any]:
        """JSON-ready content with the policy made explicit: stored, hashed and diffed."""
        data = self.model_dump(mode="json")
        data["policy"] = self.effective_policy().model_dump(mode="json")
        return data

    def content_hash(self) -> str:
        return content_hash(self.canonical())

    @property
    def section_ids(self) -> list[str]:
        return [section.id for section in self.sections]


class VersionSpec(VersionContent):
    """A spec file: the content plus metadata that is not hashed."""

    notes: str = ""

    def content(self) -> VersionContent:
        return VersionContent.model_validate(self.model_dump(exclude={"notes"}))


def content_hash(canonical: dict[str, Any]) -> str:
    blob = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _format_location(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def parse_spec(data: Any, *, source: str = "<spec>") -> VersionSpec:
    """Validate already-parsed data; raise :class:`SpecError` naming each bad field."""
    if not isinstance(data, dict):
        raise SpecError(source, [("", "a version spec must be a mapping (sections, instructions, ...)")])
    try:
        return VersionSpec.model_validate(data)
    except ValidationError as exc:
        problems = [(_format_location(err["loc"]), err["msg"].removeprefix("Value error, ")) for err in exc.errors()]
        raise SpecError(source, problems) from None


def load_spec(path: Path) -> VersionSpec:
    """Read a ``.yaml``/``.yml``/``.json`` spec file and validate it."""
    source = str(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(source, [("", f"cannot read the file: {exc.strerror}")]) from None
    try:
        data = json.loads(raw) if path.suffix == ".json" else yaml.safe_load(raw)
    except json.JSONDecodeError as exc:
        raise SpecError(source, [("", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(source, [("", f"invalid YAML{where}: {problem}")]) from None
    return parse_spec(data, source=source)
