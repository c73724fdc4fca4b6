"""A tenant's products and tariffs in the config: inline tables, CSV or JSON files, and clear errors at start-up."""
from __future__ import annotations

import json
from datetime import date

import pytest

from gateway.config import ConfigError, load_config, parse_config
from gateway.technical_rules import RuleContexts
from gateway.tenant_lists import ContractTariff

TEXEL = {"gemeentecode": "0448", "name": "Texel"}


def tenant(tmp_path, **lists):
    return parse_config({"tenants": [TEXEL | lists]}, base_dir=tmp_path).tenants[0]


def config_error(tmp_path, **lists) -> str:
    with pytest.raises(ConfigError) as error:
        tenant(tmp_path, **lists)
    return str(error.value)


def test_inline_lists_in_the_toml_file(tmp_path):
    (tmp_path / "ketenpoort.toml").write_text('''
[[tenants]]
gemeentecode = "0448"
name = "Texel"
products = { "01" = ["01A03", "01A04"], "45" = ["45A03"] }
tariffs = { "01A03" = { bedrag = 1250, eenheid = "04" } }
''')
    [texel] = load_config(tmp_path / "ketenpoort.toml").tenants
    assert texel.products == {"01": frozenset({"01A03", "01A04"}), "45": frozenset({"45A03"})}
    assert texel.tariffs == {"01A03": ContractTariff(1250, "04")}


def test_a_tenant_without_lists_has_none(tmp_path):
    texel = tenant(tmp_path)
    assert (texel.products, texel.tariffs) == (None, None)


def test_lists_from_csv_files(tmp_path):
    (tmp_path / "products.csv").write_text("categorie,code\n01,01A03\n01,01A04\n\n45,45A03\n")
    (tmp_path / "tariffs.csv").write_text("ProductCode;Bedrag;Eenheid\n01A03;1250;04\n01A04;250;01\n")
    texel = tenant(tmp_path, products_file="products.csv", tariffs_file="tariffs.csv")
    assert texel.products == {"01": frozenset({"01A03", "01A04"}), "45": frozenset({"45A03"})}
    assert texel.tariffs == {"01A03": ContractTariff(1250, "04"), "01A04": ContractTariff(250, "01")}


def test_lists_from_json_files(tmp_path):
    (tmp_path / "products.json").write_text(json.dumps({"01": ["01A03"]}))
    (tmp_path / "tariffs.json").write_text(json.dumps({"01A03": {"bedrag": 1250, "eenheid": "04"}}))
    texel = tenant(tmp_path, products_file="products.json", tariffs_file="tariffs.json")
    assert texel.products == {"01": frozenset({"01A03"})}
    assert texel.tariffs == {"01A03": ContractTariff(1250, "04")}


@pytest.mark.parametrize("lists, expected", [
    ({"products": {"1": ["01A03"]}}, "tenants[0].products.1: categorie '1' is not a ProductCategorie of 2 digits"),
    ({"products": {"01": ["01A03X"]}}, "tenants[0].products.01: code '01A03X' is not a ProductCode"),
    ({"products": {"01": 5}}, "tenants[0].products.01: expected a list of ProductCodes"),
    ({"products": {}}, "tenants[0].products: empty"),
    ({"tariffs": {"01A03": {"bedrag": 12.5, "eenheid": "04"}}},
     "tenants[0].tariffs.01A03: bedrag 12.5 is not a whole number of eurocents"),
    ({"tariffs": {"01A03": {"bedrag": 1250, "eenheid": "05"}}},
     "tenants[0].tariffs.01A03: eenheid '05' is not a code of WJ756"),
    ({"tariffs": {"01A03": {"bedrag": 1250}}}, "tenants[0].tariffs.01A03: expected {bedrag = eurocents"),
    ({"products": {"01": ["01A03"]}, "products_file": "p.csv"},
     "tenants[0].products_file: give products or products_file, not both"),
    ({"tariffs_file": "missing.csv"}, "tenants[0].tariffs_file: not found"),
    ({"tarifs": {}}, "tenants[0].tarifs: unknown key (known keys here: delivery, gemeentecode, name, products, "
                     "products_file, tariffs, tariffs_file)"),
])
def test_a_wrong_list_names_the_key(tmp_path, lists, expected):
    (tmp_path / "p.csv").write_text("categorie,code\n01,01A03\n")
    assert expected in config_error(tmp_path, **lists)


@pytest.mark.parametrize("name, text, expected", [
    ("products.csv", "category,code\n01,01A03\n", "products.csv:1: expected the header categorie,code"),
    ("products.csv", "categorie,code\n01,01A03\n1,01A04\n", "products.csv:3: categorie '1' is not"),
    ("products.csv", "categorie,code\n01,01A03,extra\n", "products.csv:2: expected 2 columns"),
    ("tariffs.csv", "productcode,bedrag,eenheid\n01A03,12.50,04\n", "tariffs.csv:2: bedrag '12.50' is not"),
    ("tariffs.csv", "productcode,bedrag,eenheid\n01A03,1250,04\n01A03,1300,04\n",
     "tariffs.csv:3: ProductCode '01A03' has a tariff already"),
    ("products.json", '{"01": ["01A03"],}', "products.json:1: not valid JSON"),
    ("products.json", '["01A03"]', "products.json: expected a JSON object"),
    ("products.txt", "01,01A03", "tenants[0].products_file: products.txt is not a .csv or .json file"),
])
def test_a_wrong_list_file_names_the_file_and_line(tmp_path, name, text, expected):
    (tmp_path / name).write_text(text)
    key = "tariffs_file" if name.startswith("tariffs") else "products_file"
    assert expected in config_error(tmp_path, **{key: name})


def test_the_rule_context_of_a_tenant_is_built_once_and_follows_the_date(tmp_path):
    config = parse_config({"tenants": [TEXEL | {"products": {"01": ["01A03"]},
                                                "tariffs": {"01A03": {"bedrag": 1250, "eenheid": "04"}}},
                                       {"gemeentecode": "0400", "name": "Den Helder"}]}, base_dir=tmp_path)
    days = iter([date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 2)])
    contexts = RuleContexts(config, today=lambda: next(days))

    first = contexts.for_tenant("0448")
    assert contexts.for_tenant("0448") is first  # cached per tenant, not built per message
    assert (first.today, first.products, first.tariffs["01A03"].bedrag) == (date(2026, 3, 1), {"01": {"01A03"}}, 1250)
    next_day = contexts.for_tenant("0448")
    assert (next_day.today, next_day.products) == (date(2026, 3, 2), first.products)
    den_helder = contexts.for_tenant("0400")
    assert (den_helder.products, den_helder.tariffs) == (None, None)
