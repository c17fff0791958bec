"""The layer's ISO 4217 table (layers/common/meridian/iso4217_table.py) is the pinned `iso4217` package's data
(ISO 4217 list one as published by the maintenance agency, SIX), written out once as a Python literal so a
cold start does not parse XML (the package's own import takes ~40 ms). When the package is bumped in
requirements-dev.txt this test fails until the table is written again:

    .venv/bin/python -m tests.unit.layer.test_iso4217_table
"""
from __future__ import annotations

from pathlib import Path

TABLE = Path(__file__).resolve().parents[3] / "layers" / "common" / "meridian" / "iso4217_table.py"


def from_package() -> tuple[str, dict[str, tuple[int, str]], dict[str, str]]:
    """(published, code → (minor units, name), code → name of those without minor units)."""
    import iso4217
    from iso4217 import Currency

    priced, unpriced = {}, {}
    for entry in Currency:
        if entry.exponent is None:
            unpriced[entry.code] = entry.currency_name
        else:
            priced[entry.code] = (int(entry.exponent), entry.currency_name)
    published = str(getattr(iso4217, "__published__", "") or "") or _published()
    return published, dict(sorted(priced.items())), dict(sorted(unpriced.items()))


def _published() -> str:
    import importlib.resources
    import re

    text = importlib.resources.files("iso4217").joinpath("table.xml").read_text(encoding="utf-8")[:300]
    found = re.search(r'Pblshd="([0-9-]+)"', text)
    return found.group(1) if found else "unknown"


def render() -> str:
    from importlib.metadata import version

    published, priced, unpriced = from_package()
    lines = [f'"""ISO 4217 list one (published {published}), generated from the `iso4217` package',
             f'(PyPI, version {version("iso4217")}) by tests/unit/layer/test_iso4217_table.py, which fails when',
             "it no longer matches the package. Do not edit.",
             '"""', "", f'PUBLISHED = "{published}"', "",
             "# code -> (minor units, English name): every active currency with minor units",
             "PRICED: dict[str, tuple[int, str]] = {"]
    lines += [f"    {code!r}: ({units}, {name!r})," for code, (units, name) in priced.items()]
    lines += ["}", "", '# code -> English name: active codes without minor units ("N.A.": metals, SDR, test codes)',
              "UNPRICED: dict[str, str] = {"]
    lines += [f"    {code!r}: {name!r}," for code, name in unpriced.items()]
    lines += ["}", ""]
    return "\n".join(lines)


def test_the_layers_table_is_the_packages_data():
    assert TABLE.read_text(encoding="utf-8") == render(), \
        "layers/common/meridian/iso4217_table.py is out of date: python -m tests.unit.layer.test_iso4217_table"


if __name__ == "__main__":
    TABLE.write_text(render(), encoding="utf-8")
    print(f"wrote {TABLE}")
