"""Reading import files (CSV or XLSX) as a stream of (line, [values]) with a checked header.

Django-free. A CSV is UTF-8 (a BOM is accepted), the delimiter ``;`` or ``,`` is detected from the
header line. A file in another encoding is refused with the physical line of the first byte that is
not UTF-8, naming UTF-16 and Windows-1252 (cp1252/latin-1, what Excel writes by default) as such. An XLSX file is read from its first sheet, with the same columns.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Iterator
from pathlib import Path


class FileProblem(Exception):
    """The file as a whole cannot be read (encoding, empty, not a spreadsheet)."""

    def __init__(self, reason: str, *, line: int = 0, expected: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.expected = expected


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def open_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Return the header (column names, stripped) and an iterator of (line number, values).

    Line numbers are those an operator sees in an editor: the header is line 1. Blank lines are
    skipped. Raises FileProblem when the file cannot be read at all.
    """
    if path.suffix.lower() == ".xlsx":
        return _open_xlsx(path)
    return _open_csv(path)


ENCODING_EXPECTED = "UTF-8 text (in Excel: save as \"CSV UTF-8\"; in LibreOffice: character set Unicode (UTF-8))"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that are not UTF-8, kept by surrogateescape


def _utf16_problem(start: bytes) -> FileProblem | None:
    """A UTF-16 file (with a byte order mark, or NUL bytes between ASCII characters) named as such."""
    if start.startswith(_UTF16_BOMS) or start[:64].count(b"\x00") >= 4:
        return FileProblem("the file is UTF-16 text, not UTF-8", line=1, expected=ENCODING_EXPECTED)
    return None


def _encoding_problem(raw: bytes, line: int) -> FileProblem:
    """The first byte of ``raw`` (one physical line) that is not UTF-8, and what the text looks like."""
    try:
        raw.decode("utf-8")
        position, bad = len(raw), b""
    except UnicodeDecodeError as exc:
        position, bad = exc.start, raw[exc.start:exc.start + 1]
    where = f"byte 0x{bad.hex().upper()} at character {len(raw[:position].decode('utf-8', 'replace')) + 1}" if bad else "a byte"
    try:
        shown = bad.decode("cp1252")
    except UnicodeDecodeError:
        shown = ""
    if shown:
        reason = (f"the file is not UTF-8: {where} is {shown!r} in Windows-1252 (cp1252/latin-1), "
                  "the encoding of a CSV saved by Excel as \"CSV (comma delimited)\"")
    else:
        reason = f"the file is not UTF-8 text: {where} is not valid UTF-8"
    return FileProblem(reason, line=line, expected=ENCODING_EXPECTED)


def csv_header(path: Path) -> tuple[list[str], str, bool]:
    """The header, the delimiter and whether the file starts with a BOM (for column-wise readers)."""
    with open(path, "rb") as handle:
        start = handle.readline()
    utf16 = _utf16_problem(start)
    if utf16 is not None:
        raise utf16
    bom = start.startswith(b"\xef\xbb\xbf")
    try:
        first = start.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _encoding_problem(start, 1) from exc
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [c.strip() for c in next(csv.reader([first], delimiter=delimiter))]
    return header, delimiter, bom


def _checked_lines(handle, counter: list[int]):
    """The physical lines of ``handle`` (text read with surrogateescape), counting them in
    ``counter[0]``; FileProblem on the first line holding a byte that is not UTF-8, with its number."""
    for text in handle:
        counter[0] += 1
        if _UNDECODED.search(text):
            raise _encoding_problem(text.encode("utf-8", "surrogateescape"), counter[0])
        yield text


def _open_csv(path: Path):
    with open(path, "rb") as probe:
        utf16 = _utf16_problem(probe.read(64))
    if utf16 is not None:
        raise utf16
    # Undecodable bytes are kept (as lone surrogates) and reported with the physical line they are on.
    handle = open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")  # noqa: SIM115 - closed by the generator
    counter = [0]
    lines = _checked_lines(handle, counter)
    try:
        first = next(lines, "")
    except FileProblem:
        handle.close()
        raise
    if not first.strip():
        handle.close()
        raise FileProblem("the file is empty: no header line", line=1, expected="a header line with the column names")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [c.strip() for c in next(csv.reader([first], delimiter=delimiter))]

    def rows():
        reader = csv.reader(lines, delimiter=delimiter)
        # reader.line_num counts physical lines read by the reader; the header was line 1
        try:
            line_before = 1
            for values in reader:
                line = line_before + 1
                line_before = 1 + reader.line_num
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue
                yield line, values
        except csv.Error as exc:
            raise FileProblem(f"the CSV cannot be read: {exc}", line=line_before + 1, expected="valid CSV quoting") from exc
        finally:
            handle.close()

    return header, rows()


def _open_xlsx(path: Path):
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        iterator = iter(sheet.iter_rows())
        first = next(iterator, None)
    except Exception as exc:  # calamine raises its own error types for broken files
        raise FileProblem(f"the spreadsheet cannot be read ({type(exc).__name__})", line=0, expected="an .xlsx workbook") from exc
    if first is None or not any(_cell(v) for v in first):
        raise FileProblem("the sheet is empty: no header row", line=1, expected="a header row with the column names")
    header = [_cell(v) for v in first]
    while header and not header[-1]:
        header.pop()

    def rows():
        for index, raw in enumerate(iterator, start=2):
            values = [_cell(v) for v in raw]
            if not any(values):
                continue
            # trailing empty cells beyond the header are not data
            while len(values) > len(header) and not values[-1]:
                values.pop()
            yield index, values

    return header, rows()

