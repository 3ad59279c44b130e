"""HTML tables read by the standard library's html.parser: one <table> with a header row of
<th> column names and one <tr> of <td> cells per row. Text must be escaped so that the parsed
cell text is exactly the value (quotes, `<b>`, `&amp;`, newlines, non-ASCII). Number
formatting is the encoder's choice (pandas rounds to 6 digits), so numbers are compared to
1e-6 relative; integers, strings and booleans exactly."""
import math
from html.parser import HTMLParser

import pytest

import expected
from tables import to_datetime

HTML = ("text/html", "html")


class TableParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables = 0
        self.rows: list[list[tuple[str, str]]] = []   # (tag, text) per cell
        self._cell: list[str] | None = None
        self._tag = ""

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables += 1
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell, self._tag = [], tag
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append((self._tag, "".join(self._cell)))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _parse(path):
    p = TableParser()
    p.feed(path.read_bytes().decode("utf-8"))
    p.close()
    assert p.tables == 1, f"{p.tables} <table> elements"
    header, body = p.rows[0], [r for r in p.rows[1:] if r]
    assert all(tag == "th" for tag, _ in header), "the first row holds <th> names"
    return [text.strip() for _, text in header], [[text for _, text in r] for r in body]


def _close(text: str, want: float) -> bool:
    return math.isclose(float(text), want, rel_tol=1e-6, abs_tol=1e-300)


def test_html_t2_structure(outputs):
    path = outputs.path("table", HTML, "T2")
    header, body = _parse(path)
    want = expected.t2()
    assert header == expected.TABLE_COLUMNS
    # A page may show only the first rows (tessera-html caps them), but then it must say so.
    assert 1000 <= len(body) <= 100_000 and all(len(r) == 6 for r in body)
    if len(body) < 100_000:
        assert "omitted" in path.read_text(), "a truncated table must say that rows were left out"
    for n in list(range(0, len(body), 97)) + [len(body) - 1]:
        row = [c.strip() for c in body[n]]
        assert int(row[0]) == want["id"][n]
        assert _close(row[1], want["sin"][n]), (n, row[1])
        assert row[2] == want["name"][n]
        assert row[3].lower() == str(bool(want["flag"][n])).lower()
        assert to_datetime(row[4]) == want["ts"][n].item(), (n, row[4])
        assert _close(row[5], float(want["half"][n]))


def test_html_e1_escaping(outputs):
    path = outputs.path("table", HTML, "E1")
    raw = path.read_bytes().decode("utf-8")
    assert "<b>&amp;</b>" not in raw, "cell text must be escaped"
    header, body = _parse(path)
    assert header == list(expected.E1)
    assert len(body) == 5 and all(len(r) == 6 for r in body)
    s = header.index("s ✓")
    for n, want in enumerate(expected.E1["s ✓"][:4]):
        assert body[n][s] == want, f"row {n}: {body[n][s]!r} vs {want!r}"
    for n, want in enumerate(expected.E1["big"]):
        assert int(body[n][header.index("big")].strip()) == want
