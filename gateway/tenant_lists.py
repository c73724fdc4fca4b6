"""A tenant's outside lists for the technical rules: its productcodelijst (TR381 → S329) and its contractual
tariffs (TR418 → 0611, TR346 → 9346), read from `[[tenants]]` in the config.

    products = { "02" = ["02A01", "02A02"], "45" = ["45A03"] }      # ProductCategorie → ProductCodes
    tariffs = { "02A01" = { bedrag = 6480, eenheid = "04" } }       # ProductCode → eurocents per eenheid (WJ756)
    products_file = "lists/texel-products.csv"   # instead: CSV `categorie,code` or JSON like the table above
    tariffs_file = "lists/texel-tariffs.csv"     # instead: CSV `productcode,bedrag,eenheid` or JSON

A list that is not configured is None: the rules that need it are not checked for that tenant.
"""
from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.config_reader import ConfigError, TableReader

PRODUCTCATEGORIE = re.compile(r"\d{2}")
PRODUCTCODE = re.compile(r"\S{1,5}")  # LDT_ProductCode: 1 to 5 characters
EENHEDEN = ("01", "04", "14", "16", "82", "83", "84")  # codelist WJ756
MAX_BEDRAG = 99999999  # LDT_Bedrag, in eurocents
PRODUCT_COLUMNS = ("categorie", "code")
TARIFF_COLUMNS = ("productcode", "bedrag", "eenheid")


@dataclass(frozen=True)
class ContractTariff:
    """A contractual tariff: `bedrag` in eurocents per `eenheid` (codelist WJ756, e.g. "04" uur)."""

    bedrag: int
    eenheid: str


Products = Mapping[str, frozenset[str]]
Tariffs = Mapping[str, ContractTariff]


def read_products(reader: TableReader) -> Products | None:
    """`products` (a table) or `products_file`; None when neither is given."""
    source = _source(reader, "products")
    if source is None:
        return None
    rows, where = source
    products: dict[str, set[str]] = {}
    for place, (categorie, codes) in rows:
        _check(place, "categorie", categorie, PRODUCTCATEGORIE, "a ProductCategorie of 2 digits")
        for index, code in enumerate(codes):
            _check(f"{place}[{index}]" if len(codes) > 1 else place, "code", code, PRODUCTCODE,
                   "a ProductCode of 1 to 5 characters")
        products.setdefault(categorie, set()).update(codes)
    if not products:
        raise ConfigError(f"{where}: empty: list the ProductCodes per ProductCategorie (or leave the key out)")
    return {categorie: frozenset(codes) for categorie, codes in products.items()}


def read_tariffs(reader: TableReader) -> Tariffs | None:
    """`tariffs` (a table) or `tariffs_file`; None when neither is given."""
    source = _source(reader, "tariffs")
    if source is None:
        return None
    rows, where = source
    tariffs: dict[str, ContractTariff] = {}
    for place, (code, tariff) in rows:
        _check(place, "productcode", code, PRODUCTCODE, "a ProductCode of 1 to 5 characters")
        bedrag, eenheid = tariff
        if isinstance(bedrag, str) and bedrag.strip().isdigit():
            bedrag = int(bedrag)
        if not isinstance(bedrag, int) or isinstance(bedrag, bool) or not 0 <= bedrag <= MAX_BEDRAG:
            raise ConfigError(f"{place}: bedrag {bedrag!r} is not a whole number of eurocents "
                              f"(0 to {MAX_BEDRAG})")
        if eenheid not in EENHEDEN:
            raise ConfigError(f"{place}: eenheid {eenheid!r} is not a code of WJ756 ({', '.join(EENHEDEN)})")
        if code in tariffs:
            raise ConfigError(f"{place}: ProductCode {code!r} has a tariff already")
        tariffs[code] = ContractTariff(bedrag, eenheid)
    if not tariffs:
        raise ConfigError(f"{where}: empty: give a tariff per ProductCode (or leave the key out)")
    return tariffs


def _source(reader: TableReader, key: str) -> tuple[list[tuple[str, tuple]], str] | None:
    """The rows of `key` (inline) or `key_file`, each with the place an error names (key path or file:line)."""
    file_key = f"{key}_file"
    reader.raw(key, None), reader.raw(file_key, None)  # asked for, so a typo's error lists both as known keys
    if reader.has(key) and reader.has(file_key):
        reader.fail(file_key, f"give {key} or {file_key}, not both")
    if reader.has(file_key):
        path = reader.path(file_key, must_exist=True)
        return _file_rows(path, key, reader.key_name(file_key)), str(path)
    if reader.has(key):
        table = reader.table(key)
        return _table_rows(table.raw_table(), key, table.where), table.where
    return None


def _table_rows(table: Mapping[str, Any], key: str, where: str) -> list[tuple[str, tuple]]:
    rows = []
    for name, value in table.items():
        place = f"{where}.{name}"
        if key == "products":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
                raise ConfigError(f"{place}: expected a list of ProductCodes, got {value!r}")
            rows.append((place, (name, tuple(value))))
        else:
            if not isinstance(value, Mapping) or set(value) != {"bedrag", "eenheid"}:
                raise ConfigError(f"{place}: expected {{bedrag = eurocents, eenheid = \"04\"}}, got {value!r}")
            rows.append((place, (name, (value["bedrag"], value["eenheid"]))))
    return rows


def _file_rows(path: Path, key: str, where: str) -> list[tuple[str, tuple]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ConfigError(f"{where}: cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: {path} is not UTF-8 text") from None
    if path.suffix.lower() == ".json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"{path}:{error.lineno}: not valid JSON: {error.msg}") from None
        if not isinstance(document, dict):
            raise ConfigError(f"{path}: expected a JSON object, got {type(document).__name__}")
        return _table_rows(document, key, path.name)
    if path.suffix.lower() == ".csv":
        return _csv_rows(path, text, PRODUCT_COLUMNS if key == "products" else TARIFF_COLUMNS)
    raise ConfigError(f"{where}: {path.name} is not a .csv or .json file")


def _csv_rows(path: Path, text: str, columns: tuple[str, ...]) -> list[tuple[str, tuple]]:
    """Rows of a CSV file with the header `columns` (comma or semicolon separated)."""
    lines = text.splitlines()
    delimiter = ";" if lines and lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader, [])]
    if header != list(columns):
        raise ConfigError(f"{path}:1: expected the header {','.join(columns)}, got {','.join(header) or 'nothing'}")
    rows = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            raise ConfigError(f"{path}:{number}: expected {len(columns)} columns ({','.join(columns)}), "
                              f"got {len(row)}")
        first, *rest = (cell.strip() for cell in row)
        rows.append((f"{path}:{number}", (first, tuple(rest))))
    return rows


def _check(place: str, what: str, value: Any, pattern: re.Pattern, meaning: str) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ConfigError(f"{place}: {what} {value!r} is not {meaning}")
