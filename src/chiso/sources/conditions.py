"""Conditions over source records: one small language for measure filters and validation rules.

A condition is data (YAML) and compiles to a sqlglot expression, which each engine renders in its own
SQL dialect. Shapes:

    {column: status, op: eq, value: resolved}          # eq ne lt le gt ge, against a literal
    {column: resolved_at, op: le, other: due_at}       # … or against another column
    {column: status, op: in, values: [resolved, rejected]}   # in, not_in
    {column: due_at, op: is_null}                       # is_null not_null is_true is_false
    {all: [...]}, {any: [...]}, {not: {...}}

SQL's three-valued logic applies: a comparison with a missing value is neither true nor false, so a
filter drops the record and a validation rule (which must be true) flags it; spell out `is_null` where
a missing value is acceptable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Any

import sqlglot.expressions as exp
from pydantic import BaseModel, ConfigDict, Field, model_validator

Scalar = str | int | float | bool


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    IN = "in"
    NOT_IN = "not_in"
    IS_NULL = "is_null"
    NOT_NULL = "not_null"
    IS_TRUE = "is_true"
    IS_FALSE = "is_false"


COMPARISONS = {Op.EQ: exp.EQ, Op.NE: exp.NEQ, Op.LT: exp.LT, Op.LE: exp.LTE, Op.GT: exp.GT, Op.GE: exp.GTE}
UNARY = {Op.IS_NULL, Op.NOT_NULL, Op.IS_TRUE, Op.IS_FALSE}


class Condition(BaseModel):
    """A test on one record: a column test, or `all` / `any` / `not` of other conditions."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    column: str | None = None
    op: Op | None = None
    value: Scalar | None = None
    values: tuple[Scalar, ...] | None = None
    other: str | None = None
    all_: tuple[Condition, ...] | None = Field(default=None, alias="all")
    any_: tuple[Condition, ...] | None = Field(default=None, alias="any")
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_shape(self) -> Condition:
        shapes = [self.column is not None, self.all_ is not None, self.any_ is not None, self.not_ is not None]
        if sum(shapes) != 1:
            raise ValueError("a condition is exactly one of: a column test, all, any, not")
        if self.column is None:
            if self.op is not None or self.value is not None or self.values is not None or self.other is not None:
                raise ValueError("op, value, values and other belong to a column test")
            if (self.all_ is not None and not self.all_) or (self.any_ is not None and not self.any_):
                raise ValueError("all / any need at least one condition")
            return self
        if self.op is None:
            raise ValueError(f"column test on {self.column!r} needs an op ({', '.join(o.value for o in Op)})")
        if self.op in COMPARISONS:
            if (self.value is None) == (self.other is None) or self.values is not None:
                raise ValueError(f"op {self.op.value} needs exactly one of value (a literal) or other (a column)")
        elif self.op in (Op.IN, Op.NOT_IN):
            if not self.values or self.value is not None or self.other is not None:
                raise ValueError(f"op {self.op.value} needs a non-empty list in values")
        elif self.value is not None or self.values is not None or self.other is not None:
            raise ValueError(f"op {self.op.value} takes no value")
        return self

    def columns(self) -> Iterator[str]:
        """Every column the condition reads."""
        if self.column is not None:
            yield self.column
            if self.other is not None:
                yield self.other
        for child in (*(self.all_ or ()), *(self.any_ or ()), *((self.not_,) if self.not_ else ())):
            yield from child.columns()

    def literals(self) -> Iterator[tuple[str, Scalar]]:
        """(column, literal) pairs, so a definition can be checked against a source's enums."""
        if self.column is not None:
            for literal in (*((self.value,) if self.value is not None else ()), *(self.values or ())):
                yield self.column, literal
        for child in (*(self.all_ or ()), *(self.any_ or ()), *((self.not_,) if self.not_ else ())):
            yield from child.literals()

    def to_yaml_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def literal(value: Scalar) -> exp.Expression:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(value)


def compile_condition(condition: Condition, column: Callable[[str], exp.Expression]) -> exp.Expression:
    """The condition as a sqlglot boolean expression; `column` turns a column name into a reference."""
    if condition.all_ is not None:
        return exp.and_(*(exp.paren(compile_condition(c, column)) for c in condition.all_))
    if condition.any_ is not None:
        return exp.or_(*(exp.paren(compile_condition(c, column)) for c in condition.any_))
    if condition.not_ is not None:
        return exp.Not(this=exp.paren(compile_condition(condition.not_, column)))
    assert condition.column is not None and condition.op is not None
    this = column(condition.column)
    op = condition.op
    if op in COMPARISONS:
        right = column(condition.other) if condition.other is not None else literal(condition.value)
        return COMPARISONS[op](this=this, expression=right)
    if op in (Op.IN, Op.NOT_IN):
        found = exp.In(this=this, expressions=[literal(v) for v in condition.values or ()])
        return found if op is Op.IN else exp.Not(this=exp.paren(found))
    if op is Op.IS_NULL:
        return exp.Is(this=this, expression=exp.Null())
    if op is Op.NOT_NULL:
        return exp.Not(this=exp.Is(this=this, expression=exp.Null()))
    return exp.EQ(this=this, expression=exp.Boolean(this=op is Op.IS_TRUE))
