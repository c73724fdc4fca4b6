"""What is wrong with a message, and where: the one shape every check (parse, identify, XSD, rules) reports in."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from lxml import etree

_NAMESPACE = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True)
class Problem:
    """One finding. `line` is 1-based (None when the message as a whole is meant); `path` is an element path of
    local names such as /Bericht/Client/ToegewezenProducten/ToegewezenProduct[2]/Omvang (None when unknown)."""

    line: int | None
    path: str | None
    message: str

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.line and f"line {self.line}", self.path) if part)
        return f"{where}: {self.message}" if where else self.message


class MessageError(Exception):
    """A message cannot be read or does not belong here; `problems` says why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def local_name(tag: str) -> str:
    """`{namespace}name` -> `name`; a third of the cost of etree.QName, on every element of every message."""
    return tag.rpartition("}")[2]


def path_below_root(element: etree._Element) -> str:
    """Client/Relaties/Relatie[2]/Naam: local names from below the root, a 1-based position where siblings share the
    name; "" for the root itself."""
    below_root = element.getroottree().getelementpath(element)  # Clark names, positions only where needed
    return "" if below_root == "." else _NAMESPACE.sub("", below_root)


def element_path(element: etree._Element) -> str:
    """/Bericht/Client/Relaties/Relatie[2]/Naam: `path_below_root` under the root's name."""
    top = "/" + local_name(element.getroottree().getroot().tag)
    below_root = path_below_root(element)
    return f"{top}/{below_root}" if below_root else top
