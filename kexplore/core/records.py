"""`record`: the immutable dataclass every value of kexplore is made of.

A record is a dataclass that compares and hashes by its fields, like `dataclass(frozen=True)`,
and is just as immutable to the code: `dataclass_transform(frozen_default=True)` tells mypy
that its fields are read-only, so an assignment anywhere in `kexplore/` fails `mypy`, a
gate of every change. What a record does not do is guard its fields again at run time.

That is a choice made for start-up time. Python 3.11 compiles each method a dataclass
generates with its own `exec`: seven for a frozen dataclass (`__init__`, `__repr__`,
`__eq__`, `__hash__`, `__setattr__`, `__delattr__`, and the wrapper of each). `kexplore
check` makes about ninety records before it reads a file, and these compilations were a
quarter of its own start-up. A record has dataclass compile three (`__init__`, `__eq__`,
`__hash__`) and shares one `__repr__` among all: a tenth fewer instructions for the whole
`check` process (benchmarks/check.py). Python 3.13 compiles once per class and would make
this moot.
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
    # hashed by its fields, as a frozen dataclass is (unsafe only for a value that changes,
    # and mypy keeps every record from changing); without slots, dataclass completes the
    # class itself and returns it
    dataclasses.dataclass(repr=False, eq=eq, order=order, unsafe_hash=eq)(cls)
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
