"""The control plane as it runs, built from the files alone: which pods the kubelet will
run, what each container can read through its mounts, who dials whom with which
certificate trusting which CA, and which key signs what. It is the one place that maps a
flag's path to a file; rules and views read through it."""

from kexplore.core.plane.build import build_plane
from kexplore.core.plane.model import (
    Cause,
    Component,
    Connection,
    FileUse,
    Identity,
    Plane,
    Relation,
    RelationKind,
    Source,
    Status,
    Usage,
)
from kexplore.core.plane.mounts import Reach

__all__ = [
    "Cause",
    "Component",
    "Connection",
    "FileUse",
    "Identity",
    "Plane",
    "Reach",
    "Relation",
    "RelationKind",
    "Source",
    "Status",
    "Usage",
    "build_plane",
]
