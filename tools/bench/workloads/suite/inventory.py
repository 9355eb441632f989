"""The code under test of the benchmark's test suite: a small inventory
with records, a query parser and reports.  Its hotspot is the one the
workflow this benchmark stands for looks for: every report deep-copies the
records it was given (copy.deepcopy), as pyWhat's did."""
import copy
import dataclasses
import json
import re

TOKEN = re.compile(r"\s*(?:(\d+\.?\d*)|([A-Za-z_]+)|(<=|>=|==|!=|[<>()]))")


@dataclasses.dataclass
class Item:
    sku: str
    name: str
    price: float
    quantity: int
    tags: list


def make_items(count):
    return [Item("SKU%05d" % i, "item %d" % i, 1.5 + (i % 97), i % 13, ["t%d" % (i % 7), "all"])
            for i in range(count)]


def tokenize(query):
    tokens, position = [], 0
    while position < len(query):
        match = TOKEN.match(query, position)
        if not match or match.end() == position:
            raise ValueError("bad query at %d: %r" % (position, query[position:]))
        number, word, operator = match.groups()
        tokens.append(float(number) if number else word or operator)
        position = match.end()
    return tokens


def parse(tokens):
    """field OP value [and|or field OP value]... as nested tuples."""
    def term(at):
        field, op, value = tokens[at:at + 3]
        return (op, field, value), at + 3

    tree, at = term(0)
    while at < len(tokens):
        joiner = tokens[at]
        right, at = term(at + 1)
        tree = (joiner, tree, right)
    return tree


def matches(item, tree):
    op = tree[0]
    if op == "and":
        return matches(item, tree[1]) and matches(item, tree[2])
    if op == "or":
        return matches(item, tree[1]) or matches(item, tree[2])
    left, right = getattr(item, tree[1]), tree[2]
    return {"<": left < right, ">": left > right, "<=": left <= right,
            ">=": left >= right, "==": left == right, "!=": left != right}[op]


def select(items, query):
    tree = parse(tokenize(query))
    return [item for item in items if matches(item, tree)]


def report(items):
    snapshot = copy.deepcopy(items)          # the hotspot
    total = sum(item.price * item.quantity for item in snapshot)
    rows = [dataclasses.asdict(item) for item in snapshot]
    return json.dumps({"total": round(total, 2), "rows": rows}, sort_keys=True)
