import json

import pytest

import inventory

ITEMS = inventory.make_items(2000)


@pytest.fixture
def items():
    return list(ITEMS)


@pytest.mark.parametrize("query,expected", [
    ("price < 10", lambda i: i.price < 10),
    ("quantity >= 6 and price > 50", lambda i: i.quantity >= 6 and i.price > 50),
    ("quantity == 0 or price <= 2", lambda i: i.quantity == 0 or i.price <= 2),
])
def test_select(items, query, expected):
    assert inventory.select(items, query) == [i for i in items if expected(i)]


@pytest.mark.parametrize("count", [500, 1000, 2000])
def test_report_total(items, count):
    doc = json.loads(inventory.report(items[:count]))
    assert doc["total"] == round(sum(i.price * i.quantity for i in items[:count]), 2)
    assert len(doc["rows"]) == count


def test_tokenize_rejects_garbage():
    with pytest.raises(ValueError):
        inventory.tokenize("price < $")


@pytest.mark.parametrize("n", range(20))
def test_tokenize_many(n):
    assert inventory.tokenize("quantity >= %d" % n) == ["quantity", ">=", float(n)]
