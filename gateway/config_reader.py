"""Typed reading of one TOML table, with errors that name the key and the problem.

`gateway.config` reads its sections with it; a module that owns a section of its own (`[corv]`, `[lookups]`,
`[console]`) reads it the same way through `Config.section(name)`.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

_MISSING: Any = object()


class ConfigError(Exception):
    """A configuration mistake; the message names the key (`tenants[1].gemeentecode`) and the problem."""


class TableReader:
    """Reads the keys of one table; `finish()` then refuses keys nobody asked for (usually typos).

    Every getter takes a default; without one (or with `REQUIRED`) a missing key is an error.
    """

    REQUIRED: Any = _MISSING

    def __init__(self, table: Mapping[str, Any], where: str, base_dir: Path) -> None:
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where}: expected a table, got {_describe(table)}")
        self._table = table
        self._where = where
        self._base_dir = base_dir
        self._read: set[str] = set()

    @property
    def where(self) -> str:
        return self._where

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    def key_name(self, key: str) -> str:
        return f"{self._where}.{key}" if self._where else key

    def fail(self, key: str, problem: str) -> NoReturn:
        raise ConfigError(f"{self.key_name(key)}: {problem}")

    def has(self, key: str) -> bool:
        return key in self._table

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        self._read.add(key)
        if key in self._table:
            return self._table[key]
        if default is _MISSING:
            self.fail(key, "missing")
        return default

    def raw_table(self) -> Mapping[str, Any]:
        """The whole table as it is, every key counted as read (for tables another module checks)."""
        self._read.update(self._table)
        return self._table

    def string(self, key: str, default: Any = _MISSING, *, pattern: str | None = None, meaning: str = "") -> str:
        """A string; with `pattern`, it must match entirely, else the error says it is not `meaning`."""
        value = self.raw(key, default)
        if value is None:
            return value
        if not isinstance(value, str):
            self.fail(key, f"expected a string, got {_describe(value)}")
        if pattern is not None and not re.fullmatch(pattern, value):
            self.fail(key, f"{value!r} is not {meaning or f'of the form {pattern}'}")
        return value

    def integer(self, key: str, default: Any = _MISSING, *, minimum: int | None = None,
                maximum: int | None = None) -> int:
        value = self.raw(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(key, f"expected a whole number, got {_describe(value)}")
        self._check_range(key, value, minimum, maximum)
        return value

    def number(self, key: str, default: Any = _MISSING, *, minimum: float | None = None,
               maximum: float | None = None) -> float:
        value = self.raw(key, default)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            self.fail(key, f"expected a number, got {_describe(value)}")
        self._check_range(key, value, minimum, maximum)
        return float(value)

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {_describe(value)}")
        return value

    def strings(self, key: str, default: Any = _MISSING, *, pattern: str | None = None,
                meaning: str = "") -> tuple[str, ...]:
        """A list of strings (a single string counts as a list of one)."""
        value = self.raw(key, default)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
            self.fail(key, f"expected a list of strings, got {_describe(value)}")
        for index, item in enumerate(value):
            if pattern is not None and not re.fullmatch(pattern, item):
                self.fail(f"{key}[{index}]", f"{item!r} is not {meaning or f'of the form {pattern}'}")
        return tuple(value)

    def path(self, key: str, default: Any = _MISSING, *, must_exist: bool = False) -> Path:
        """A path; relative paths are taken from the config file's directory."""
        value = self.string(key, default)
        if value is None:
            return value
        path = (self._base_dir / Path(value).expanduser()).resolve()
        if must_exist and not path.exists():
            self.fail(key, f"not found: {path}")
        return path

    def paths(self, key: str, default: Any = _MISSING, *, must_exist: bool = False) -> tuple[Path, ...]:
        values = self.strings(key, default)
        paths = tuple((self._base_dir / Path(value).expanduser()).resolve() for value in values)
        for index, path in enumerate(paths):
            if must_exist and not path.exists():
                self.fail(f"{key}[{index}]", f"not found: {path}")
        return paths

    def url(self, key: str, default: Any = _MISSING) -> str:
        """An absolute http(s) URL."""
        value = self.string(key, default)
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.fail(key, f"{value!r} is not an http(s) URL")
        return value

    def table(self, key: str) -> TableReader:
        """A sub-table (empty when absent)."""
        return TableReader(self.raw(key, {}), self.key_name(key), self._base_dir)

    def tables(self, key: str) -> list[TableReader]:
        """An array of tables (`[[key]]`), each reader named `key[index]`."""
        value = self.raw(key, [])
        if not isinstance(value, list):
            self.fail(key, f"expected an array of tables ([[{key}]]), got {_describe(value)}")
        return [TableReader(item, f"{self.key_name(key)}[{index}]", self._base_dir)
                for index, item in enumerate(value)]

    def finish(self) -> None:
        unknown = sorted(set(self._table) - self._read)
        if unknown:
            known = ", ".join(sorted(self._read)) or "none"
            self.fail(unknown[0], f"unknown key (known keys here: {known})")

    def _check_range(self, key: str, value: float, minimum: float | None, maximum: float | None) -> None:
        if minimum is not None and value < minimum:
            self.fail(key, f"{value} is below the minimum {minimum}")
        if maximum is not None and value > maximum:
            self.fail(key, f"{value} is above the maximum {maximum}")


def _describe(value: Any) -> str:
    names = {str: "a string", bool: "a boolean", int: "a whole number", float: "a number",
             list: "a list", dict: "a table"}
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{names.get(type(value), type(value).__name__)} ({shown})"
