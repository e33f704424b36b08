"""Reading import files (CSV or XLSX) as a stream of (line, [values]) with a checked header.

Django-free. A CSV is UTF-8 (a BOM is accepted), the delimiter ``;`` or ``,`` is detected from the
header line. An XLSX file is read from its first sheet, with the same columns.
"""

from __future__ import annotations

import csv
import datetime
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


def csv_header(path: Path) -> tuple[list[str], str, bool]:
    """The header, the delimiter and whether the file starts with a BOM (for column-wise readers)."""
    with open(path, "rb") as handle:
        start = handle.readline()
    bom = start.startswith(b"\xef\xbb\xbf")
    try:
        first = start.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem("the file is not UTF-8 text", line=1, expected="UTF-8 CSV") from exc
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [c.strip() for c in next(csv.reader([first], delimiter=delimiter))]
    return header, delimiter, bom


def _open_csv(path: Path):
    handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by the generator
    try:
        first = handle.readline()
    except UnicodeDecodeError as exc:
        handle.close()
        raise FileProblem("the file is not UTF-8 text", line=1, expected="UTF-8 CSV") from exc
    if not first.strip():
        handle.close()
        raise FileProblem("the file is empty: no header line", line=1, expected="a header line with the column names")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [c.strip() for c in next(csv.reader([first], delimiter=delimiter))]

    def rows():
        reader = csv.reader(handle, delimiter=delimiter)
        # reader.line_num counts physical lines read by the reader; the header was line 1
        try:
            line_before = 1
            for values in reader:
                line = line_before + 1
                line_before = 1 + reader.line_num
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue
                yield line, values
        except UnicodeDecodeError as exc:
            raise FileProblem("the file is not UTF-8 text", line=line_before + 1, expected="UTF-8 CSV") from exc
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

