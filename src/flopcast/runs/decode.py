"""From the file's bytes to a table of strings: decoding, delimiter and record checks.

File-level failures (empty file, header only, binary or non-UTF-8 content, wrong delimiter,
duplicated header, rows with too many fields) raise
:class:`~flopcast.exceptions.DataValidationError` naming the row and column to look at; nothing
here judges a cell's value (that is :mod:`flopcast.runs.checks`).

Row numbers are 1-based *line* numbers in the file (the header is line 1), so they match what
a text editor shows even when quoted fields span several lines, as in Epoch's exports
(:func:`record_lines`).
"""

from __future__ import annotations

import csv
import io
import warnings

import numpy as np
import pandas as pd

from flopcast.runs.problems import file_error, shorten
from flopcast.runs.schema import REQUIRED_COLUMNS

#: Leading bytes of files people save by mistake instead of a CSV, and what to tell them.
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?); export it as CSV"),
    (b"\xd0\xcf\x11\xe0", "a legacy Excel .xls workbook; export it as CSV"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\x1f\x8b", "gzip-compressed; decompress it first"),
)


def normalize_header(name: str) -> str:
    """A header as it is matched: case-folded, runs of whitespace made one space."""
    return " ".join(str(name).split()).casefold()


def decode_text(data: bytes, name: str) -> str:
    """The file's text (UTF-8, an optional BOM dropped), or an error saying what it is instead."""
    if not data.strip():
        raise file_error(
            name,
            "row 1: the file is empty; expected a CSV with a header row naming the columns "
            f"(at least {', '.join(REQUIRED_COLUMNS)}, or an Epoch AI export)",
            row=1,
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise file_error(
            name,
            "the file is UTF-16 encoded; flopcast reads UTF-8: re-save it as UTF-8 "
            "(e.g. Excel: 'CSV UTF-8 (Comma delimited)')",
            row=1,
        )
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise file_error(
                name, f"not a CSV text file: it looks like {what}", row=1, column="(whole file)"
            )
    nul = data.find(b"\x00", 0, 65536)
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise file_error(
            name,
            f"not a CSV text file: binary content (a NUL byte at byte offset {nul}, row {line}); "
            "flopcast expects a comma-separated UTF-8 text file",
            row=line,
            column="(whole file)",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start
        line = data.count(b"\n", 0, offset) + 1
        column = _column_at_offset(data, offset)
        bad = data[offset : offset + 1].hex()
        raise file_error(
            name,
            f"not valid UTF-8: byte 0x{bad} at byte offset {offset} (row {line}, column "
            f"{column!r}) cannot be decoded; the file is probably in a legacy encoding such as "
            "Windows-1252 or Latin-1. Re-save it as UTF-8 (e.g. Excel: 'CSV UTF-8 (Comma "
            "delimited)'; Python: open(..., encoding='cp1252') then write with encoding='utf-8')",
            row=line,
            column=column,
            value=f"0x{bad}",
        ) from None
    return _check_carriage_returns(data, text, name)


def _check_carriage_returns(data: bytes, text: str, name: str) -> str:
    """Old Mac line endings (``\\r`` only) become ``\\n``; a bare ``\\r`` inside an unquoted
    cell of a ``\\n`` or ``\\r\\n`` file is an error naming its row and column."""
    if "\r" not in text:
        return text
    if "\n" not in text:
        return text.replace("\r", "\n")
    b = np.frombuffer(data, dtype=np.uint8)
    cr = np.flatnonzero(b == 13)
    following = np.append(b, 0)[cr + 1]
    bare = cr[following != 10]
    if not len(bare):
        return text
    quotes = np.flatnonzero(b == 34)
    unquoted = bare[np.searchsorted(quotes, bare) % 2 == 0]
    if not len(unquoted):
        return text
    offset = int(unquoted[0])
    line = data.count(b"\n", 0, offset) + 1
    raise file_error(
        name,
        f"row {line}, column {_column_at_offset(data, offset)!r}: a carriage return (\\r) "
        "inside a cell that is not in double quotes; remove it or quote the cell",
        row=line,
        column=_column_at_offset(data, offset),
        value="\\r",
    )


def _column_at_offset(data: bytes, offset: int) -> str:
    """Best-effort name of the column in which byte ``offset`` lies (for error messages)."""
    header_end = data.find(b"\n")
    header_bytes = data if header_end < 0 else data[:header_end]
    if offset <= len(header_bytes):
        return "(header)"
    line_start = data.rfind(b"\n", 0, offset) + 1
    prefix = data[line_start:offset].decode("utf-8", "replace").replace("\r", " ")
    try:
        header_text = header_bytes.decode("utf-8-sig", "replace").rstrip("\r").replace("\r", " ")
        header = next(csv.reader([header_text]), [])
        index = len(next(csv.reader([prefix]), [""])) - 1 if prefix else 0
    except csv.Error:  # unbalanced quoting: no column can be named
        return "(unknown column)"
    return header[index] if 0 <= index < len(header) else f"field {index + 1}"


def _check_delimiter(header_line: str, name: str) -> None:
    """Reject a header that has more ``;``, tabs or ``|`` than commas."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max((";", "\t", "|"), key=lambda d: counts[d])
    if counts[best] > counts[","]:
        label = {"\t": "tab", ";": "';'", "|": "'|'"}[best]
        raise file_error(
            name,
            f"row 1 (the header) looks like {label}-delimited; flopcast expects "
            "comma-separated values. Re-save the file as CSV with ',' as the separator "
            "(in pandas: df.to_csv(path, index=False))",
            row=1,
            column="(header)",
            value=shorten(header_line),
        )


def record_lines(data: bytes, text: str, n_rows: int) -> np.ndarray:
    """1-based line on which each data record starts (header excluded), vectorised.

    A newline ends a record when an even number of double quotes precedes it (RFC 4180
    escaping keeps the parity right); blank lines are skipped as pandas skips them. If the
    count disagrees with the parser's (unusual quoting), fall back to the csv module.
    """
    b = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(b == 10)
    quotes = np.flatnonzero(b == 34)
    if len(quotes):
        quotes_before = np.searchsorted(quotes, newlines)
        terminators = newlines[quotes_before % 2 == 0]
    else:
        terminators = newlines
    starts = np.concatenate(([0], terminators + 1))
    ends = np.concatenate((terminators, [len(b)]))
    length = ends - starts
    trailing_cr = (length > 0) & (b[np.clip(ends - 1, 0, max(len(b) - 1, 0))] == 13)
    nonblank = (length - trailing_cr) > 0
    lines = np.searchsorted(newlines, starts[nonblank]) + 1
    if len(lines) == n_rows + 1:
        return lines[1:].astype(np.int64)
    # Slow but exact fallback.
    reader = csv.reader(io.StringIO(text))
    out: list[int] = []
    start = 1
    for record in reader:
        if record:
            out.append(start)
        start = reader.line_num + 1
    return np.asarray(out[1 : n_rows + 1], dtype=np.int64)


def parse_csv(text: str, name: str) -> tuple[list[str], pd.DataFrame]:
    """The header and the data rows, every cell a string (blank lines skipped).

    Raises :class:`~flopcast.exceptions.DataValidationError` for a header that is not
    comma-separated or names a column twice, a row with more fields than the header, or a
    file with no data rows. Blank header cells are named ``"(unnamed column N)"``.
    """
    header_line = text.split("\n", 1)[0].rstrip("\r")
    _check_delimiter(header_line, name)
    try:
        header = next(csv.reader(io.StringIO(text)), [])
    except csv.Error as exc:
        raise file_error(name, f"row 1 (the header): not parsable as CSV ({exc})", row=1) from None
    header = [h if h.strip() else f"(unnamed column {i + 1})" for i, h in enumerate(header)]
    seen: set[str] = set()
    for col in header:
        key = normalize_header(col)
        if key in seen:
            raise file_error(
                name,
                f"row 1 (the header): column {col!r} appears more than once; "
                "give every column a distinct name",
                row=1,
                column=col,
            )
        seen.add(key)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=True,
                index_col=False,
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning, csv.Error) as exc:
        try:
            row, fields = _first_long_record(text, len(header))
        except csv.Error:
            row, fields = None, 0
        where = f"row {row} has {fields} fields but the header has {len(header)}" if row else ""
        raise file_error(
            name,
            f"not parsable as comma-separated values: {where or exc}. Check the quoting "
            "(fields containing commas must be in double quotes) and the number of fields",
            row=row,
            column="(row)",
        ) from None
    except pd.errors.EmptyDataError:
        raise file_error(name, "row 1: the file has no header row", row=1) from None
    df.columns = header
    if len(df) == 0:
        raise file_error(
            name,
            "has a header (row 1) but no data rows; add one row per training run from row 2 on",
            row=1,
            column="(header)",
        )
    return header, df


def _first_long_record(text: str, n_fields: int) -> tuple[int | None, int]:
    """Line and field count of the first record with more fields than the header."""
    reader = csv.reader(io.StringIO(text))
    start = 1
    for record in reader:
        if len(record) > n_fields:
            return start, len(record)
        start = reader.line_num + 1
    return None, 0
