"""`record`: the frozen dataclass every value of kexplore is made of.

It is `dataclass(frozen=True)` with one difference: the repr is one shared function instead
of one generated per class. Python 3.11 compiles each generated method with `exec` when the
class is made, and `kexplore check` makes about ninety records before it reads a file; the
generated repr is the dearest of those methods and the only one no check needs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

RecordType = TypeVar("RecordType", bound=type)


def fields_repr(self: object) -> str:
    """`Name(field=value, ...)` over the fields shown in a repr, as dataclass writes it."""
    shown = (f"{field.name}={getattr(self, field.name)!r}"
             for field in dataclasses.fields(self)  # type: ignore[arg-type]
             if field.repr)
    return f"{type(self).__qualname__}({', '.join(shown)})"


def make_record(cls: RecordType, order: bool, eq: bool) -> RecordType:
    # without slots, dataclass completes the class itself and returns it
    dataclasses.dataclass(frozen=True, repr=False, order=order, eq=eq)(cls)
    if "__repr__" not in cls.__dict__:  # a class's own repr wins, as with dataclass
        cls.__repr__ = fields_repr  # type: ignore[assignment]
    return cls


@overload
def record(cls: RecordType, /) -> RecordType: ...


@overload
def record(*, order: bool = False, eq: bool = True) -> Callable[[RecordType], RecordType]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: Any = None, /, *, order: bool = False, eq: bool = True) -> Any:
    """`@record` or `@record(order=True)` over a class, like `@dataclass(frozen=True)`."""
    if cls is None:
        return lambda inner: make_record(inner, order, eq)
    return make_record(cls, order, eq)
