"""Loading and validating run tables: flopcast.runs.

Every bad-input test checks that the message or the problem table names the file, the row
(1-based line number, header = 1) and the column, so a user can find the cell.
"""

from __future__ import annotations

import datetime as dt
import doctest
import filecmp
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flopcast import runs as fio
from flopcast.exceptions import DataValidationError, FlopcastError
from flopcast.runs.schema import CANONICAL_COLUMNS, CONFIDENCES, METHODS

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = REPO.parent / "shared" / "data" / "epoch" / "all_ml_systems.csv"
TODAY = dt.date(2025, 6, 20)

GOOD = "system,date,compute_flop\nAlpha,2020-01-01,1e21\nBeta,2021-06-15,3.5e22\n"

#: The snapshot's Epoch layout (the columns flopcast reads, plus a few it ignores).
EPOCH_HEADER = [
    "Model",
    "Domain",
    "Organization",
    "Publication date",
    "Link",
    "Training compute (FLOP)",
    "Training compute notes",
    "Training compute lower bound",
    "Training compute upper bound",
    "Training compute estimation method",
    "Confidence",
    "Training hardware",
    "Hardware quantity",
    "Training time (hours)",
    "Hardware utilization (MFU)",
    "Training compute cost (2023 USD)",
    "Parameters",
    "Notability criteria",
    "Compute rank when published",
    "Country (of organization)",
    "Last modified",
]


def write(tmp_path: Path, content: str | bytes, name: str = "runs.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def epoch_csv(tmp_path: Path, rows: list[dict], header=EPOCH_HEADER, name="epoch.csv") -> Path:
    frame = pd.DataFrame(rows).reindex(columns=list(header))
    path = tmp_path / name
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def one_problem(table: fio.RunTable) -> pd.Series:
    assert len(table.problems) == 1, table.problems.to_string()
    return table.problems.iloc[0]


def raises_for(path: Path, **kwargs) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        fio.read_runs(path, **kwargs)
    assert str(path) in str(info.value)
    return info.value


# ------------------------------------------------------------------------------------------
# Good input
# ------------------------------------------------------------------------------------------


def test_a_minimal_canonical_file_loads_with_canonical_columns_types_and_defaults(tmp_path):
    table = fio.read_runs(write(tmp_path, GOOD))
    runs = table.runs
    assert list(runs.columns) == list(CANONICAL_COLUMNS)
    assert runs["system"].tolist() == ["Alpha", "Beta"]
    assert runs["date"].dtype == "datetime64[ns]"
    assert runs["compute_flop"].dtype == np.float64
    assert runs["compute_flop"].tolist() == [1e21, 3.5e22]
    assert runs["method"].tolist() == ["other", "other"]
    assert runs["confidence"].tolist() == ["unknown", "unknown"]
    assert runs["domain"].isna().all()
    assert table.format == "canonical"
    assert table.excluded.empty and table.problems.empty and table.ok
    assert table.n_input_rows == 2
    assert len(table.sha256) == 64


def test_labels_are_read_case_insensitively_and_stored_lower_case(tmp_path):
    text = (
        "System,Date,Compute_FLOP,Method,Confidence\n"
        "A,2020-01-01,1e21,Counted,CONFIDENT\nB,2020-01-02,1e21, hardware ,likely\n"
    )
    runs = fio.read_runs(write(tmp_path, text)).runs
    assert runs["method"].tolist() == ["counted", "hardware"]
    assert runs["confidence"].tolist() == ["confident", "likely"]
    assert set(runs["method"]) <= set(METHODS) and set(runs["confidence"]) <= set(CONFIDENCES)


def test_runs_are_sorted_by_date_then_system_whatever_the_file_order(tmp_path):
    text = "system,date,compute_flop\nZ,2020-01-01,1\nB,2019-01-01,1\nA,2020-01-01,1\n"
    runs = fio.read_runs(write(tmp_path, text)).runs
    assert runs["system"].tolist() == ["B", "A", "Z"]


def test_unknown_columns_are_ignored_and_listed(tmp_path):
    text = "system,date,compute_flop,my_note\nA,2020-01-01,1e21,hello\n"
    table = fio.read_runs(write(tmp_path, text))
    assert table.ignored_columns == ("my_note",)
    assert "my_note" not in table.runs


def test_utf8_with_bom_and_crlf_line_endings_are_accepted(tmp_path):
    data = "\ufeff" + GOOD.replace("\n", "\r\n")
    table = fio.read_runs(write(tmp_path, data.encode("utf-8")))
    assert table.runs["system"].tolist() == ["Alpha", "Beta"]


def test_blank_lines_are_skipped_and_row_numbers_stay_line_numbers(tmp_path):
    text = "system,date,compute_flop\nA,2020-01-01,1e21\n\nB,2020-01-01,-1\n"
    table = fio.read_runs(write(tmp_path, text))
    assert one_problem(table)["row"] == 4
    assert len(table.runs) + len(table.excluded) == 2


def test_row_numbers_are_line_numbers_even_when_quoted_fields_span_lines(tmp_path):
    text = (
        "system,date,compute_flop,domain\n"
        'A,2020-01-01,1e21,"Language,\nVision"\n'
        '"B ""quoted""",2020-01-01,1e21,"x\n\ny"\n'
        "C,2020-01-01,zero,Vision\n"
    )
    table = fio.read_runs(write(tmp_path, text))
    problem = one_problem(table)
    assert (problem["row"], problem["system"], problem["column"]) == (7, "C", "compute_flop")
    assert 'B "quoted"' in table.runs["system"].tolist()


def test_system_names_have_whitespace_normalised(tmp_path):
    text = 'system,date,compute_flop\n" Zephyr\t\t",2020-01-01,1\n"Cosmos-1.0-\nDiffusion",2020,1\n'
    text = text.replace(",2020,1", ",2020-01-02,1")
    runs = fio.read_runs(write(tmp_path, text)).runs
    assert runs["system"].tolist() == ["Zephyr", "Cosmos-1.0- Diffusion"]


def test_iso_dates_with_a_time_part_are_accepted(tmp_path):
    text = "system,date,compute_flop\nA,2020-01-05 00:00:00,1\nB,2020-1-6,1\n"
    runs = fio.read_runs(write(tmp_path, text)).runs
    assert runs["date"].dt.strftime("%Y-%m-%d").tolist() == ["2020-01-05", "2020-01-06"]


# ------------------------------------------------------------------------------------------
# Whole-file failures
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["", "\n\n  \n"], ids=["zero-bytes", "whitespace"])
def test_an_empty_file_is_rejected_naming_the_file_and_the_expected_header(tmp_path, content):
    err = raises_for(write(tmp_path, content))
    assert "empty" in str(err) and "row 1" in str(err)
    assert "system, date, compute_flop" in str(err)
    assert err.problems.loc[0, "row"] == 1


def test_a_header_only_file_is_rejected_saying_there_are_no_data_rows(tmp_path):
    err = raises_for(write(tmp_path, "system,date,compute_flop\n"))
    assert "no data rows" in str(err) and "row 1" in str(err) and "row 2" in str(err)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"system,date\x00\x01\x02compute", "NUL byte at byte offset 11, row 1"),
        (b"PK\x03\x04\x14\x00\x06\x00rest-of-an-xlsx", "Excel .xlsx"),
        (b"\x89PNG\r\n\x1a\n....", "PNG image"),
    ],
    ids=["nul-bytes", "xlsx", "png"],
)
def test_binary_content_is_rejected_as_not_a_csv(tmp_path, content, expected):
    err = raises_for(write(tmp_path, content))
    assert "not a CSV text file" in str(err) and expected in str(err)
    assert err.problems.loc[0, "column"] == "(whole file)"


@pytest.mark.parametrize(("sep", "label"), [(";", "';'"), ("\t", "tab"), ("|", "'|'")])
def test_a_file_with_the_wrong_delimiter_is_rejected_naming_the_delimiter(tmp_path, sep, label):
    text = GOOD.replace(",", sep)
    err = raises_for(write(tmp_path, text))
    assert f"looks like {label}-delimited; flopcast expects comma-separated" in str(err)
    assert "row 1" in str(err) and err.problems.loc[0, "column"] == "(header)"


def test_a_missing_required_column_names_the_file_the_column_and_the_columns_found(tmp_path):
    err = raises_for(write(tmp_path, "system,date,flops\nA,2020-01-01,1e21\n"))
    message = str(err)
    assert "missing required column 'compute_flop'" in message
    assert "row 1 (the header)" in message
    assert "Columns found: 'system', 'date', 'flops'" in message
    assert err.problems.loc[0, "column"] == "compute_flop"


def test_several_missing_columns_are_named_together(tmp_path):
    err = raises_for(write(tmp_path, "system,when\nA,2020\n"))
    assert "missing required columns 'date', 'compute_flop'" in str(err)


def test_an_epoch_export_without_its_compute_column_is_rejected_with_epochs_name(tmp_path):
    path = epoch_csv(tmp_path, [{"Model": "A", "Publication date": "2020-01-01"}],
                     header=["Model", "Publication date", "Domain"])  # fmt: skip
    err = raises_for(path)
    assert "'Training compute (FLOP)'" in str(err) and "Epoch AI export" in str(err)


def test_an_explicit_format_that_does_not_match_the_header_is_reported(tmp_path):
    err = raises_for(write(tmp_path, GOOD), format="epoch")
    assert "'Model'" in str(err) and "Columns found: 'system'" in str(err)


def test_non_utf8_input_names_the_byte_offset_row_and_column_and_suggests_utf8(tmp_path):
    data = "system,date,compute_flop\nA,2020-01-01,1e21\nCaf\u00e9,2020-01-01,1e21\n"
    path = write(tmp_path, data.encode("cp1252"))
    err = raises_for(path)
    message = str(err)
    assert "not valid UTF-8" in message
    assert "byte 0xe9 at byte offset 46" in message
    assert "row 3" in message and "column 'system'" in message
    assert "Re-save it as UTF-8" in message
    assert (err.problems.loc[0, "row"], err.problems.loc[0, "column"]) == (3, "system")


def test_utf16_input_is_rejected_with_a_utf8_hint(tmp_path):
    err = raises_for(write(tmp_path, GOOD.encode("utf-16")))
    assert "UTF-16" in str(err) and "UTF-8" in str(err)


def test_a_row_with_more_fields_than_the_header_is_rejected_naming_the_row(tmp_path):
    text = "system,date,compute_flop\nA,2020-01-01,1e21\nB,2020-01-01,1,000\n"
    err = raises_for(write(tmp_path, text))
    assert "row 3 has 4 fields but the header has 3" in str(err)
    assert "double quotes" in str(err)


def test_a_first_data_row_with_an_extra_field_is_not_mistaken_for_an_index(tmp_path):
    text = "system,date,compute_flop\nA,2020-01-01,1e21,extra\n"
    err = raises_for(write(tmp_path, text))
    assert "row 2 has 4 fields" in str(err)


def test_a_header_that_repeats_a_column_is_rejected(tmp_path):
    err = raises_for(write(tmp_path, "system,date,compute_flop,Date\nA,2020-01-01,1,x\n"))
    assert "column 'Date' appears more than once" in str(err)


def test_whole_file_errors_are_flopcast_errors_with_a_problem_table(tmp_path):
    err = raises_for(write(tmp_path, ""))
    assert isinstance(err, FlopcastError)
    assert list(err.problems.columns) == list(fio.PROBLEM_COLUMNS)


# ------------------------------------------------------------------------------------------
# Cell problems: the row is excluded with a reason
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason", "check"),
    [
        ("lots", "is text, not a number", "compute_text"),
        ("1,5e21", "is text, not a number", "compute_text"),
        ("0", "is zero", "compute_zero"),
        ("0.0", "is zero", "compute_zero"),
        ("-3e20", "is negative", "compute_negative"),
        ("NaN", "is NaN", "compute_nan"),
        ("inf", "is infinite", "compute_inf"),
        ("-inf", "is infinite", "compute_inf"),
        ("1e400", "is infinite", "compute_inf"),
        ("", "is missing", "compute_missing"),
    ],
)
def test_bad_compute_values_exclude_the_row_naming_file_row_column_and_value(
    tmp_path, value, reason, check
):
    text = f'system,date,compute_flop\nGood,2020-01-01,1e21\nBad,2020-01-01,"{value}"\n'
    path = write(tmp_path, text)
    table = fio.read_runs(path)
    problem = one_problem(table)
    assert problem["file"] == str(path)
    assert (problem["row"], problem["system"], problem["column"]) == (3, "Bad", "compute_flop")
    assert problem["value"] == value
    assert reason in problem["reason"] and problem["check"] == check
    assert problem["action"] == "row excluded"
    assert table.runs["system"].tolist() == ["Good"]
    assert table.excluded.loc[0, "reason"] == problem["reason"]
    assert table.excluded.loc[0, "row"] == 3


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2020-13-01", "is not a valid YYYY-MM-DD date"),
        ("01/02/2020", "is not a valid YYYY-MM-DD date"),
        ("2021-02-30", "is not a valid YYYY-MM-DD date"),
        ("soon", "is not a valid YYYY-MM-DD date"),
        ("", "is missing"),
    ],
)
def test_an_unparsable_or_missing_date_excludes_the_row(tmp_path, value, reason):
    text = f"system,date,compute_flop\nA,2020-01-01,1e21\nB,{value},1e21\n"
    table = fio.read_runs(write(tmp_path, text))
    problem = one_problem(table)
    assert (problem["row"], problem["column"], problem["value"]) == (3, "date", value)
    assert problem["reason"] == f"date {reason}"


def test_a_date_after_today_is_reported_as_in_the_future(tmp_path):
    text = "system,date,compute_flop\nA,2025-06-20,1e21\nB,2025-06-21,1e21\n"
    table = fio.read_runs(write(tmp_path, text), today=TODAY)
    problem = one_problem(table)
    assert (problem["row"], problem["column"], problem["value"]) == (3, "date", "2025-06-21")
    assert problem["reason"] == "date is in the future (after 2025-06-20)"


def test_the_future_check_defaults_to_todays_date(tmp_path):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    text = f"system,date,compute_flop\nA,{dt.date.today()},1e21\nB,{tomorrow},1e21\n"
    table = fio.read_runs(write(tmp_path, text))
    assert one_problem(table)["check"] == "date_future"


def test_duplicate_system_names_keep_the_first_and_name_its_row(tmp_path):
    text = (
        "system,date,compute_flop\n"
        "A,2020-01-01,1e21\nB,2020-01-01,2e21\nA,2021-01-01,3e21\n A ,2022-01-01,4e21\n"
    )
    table = fio.read_runs(write(tmp_path, text))
    assert table.runs["system"].tolist() == ["A", "B"]
    assert table.runs.loc[0, "compute_flop"] == 1e21
    dups = table.problems
    assert dups["row"].tolist() == [4, 5]
    assert set(dups["column"]) == {"system"}
    assert all("duplicate name (first at row 2" in r for r in dups["reason"])


def test_names_differing_only_in_case_are_duplicates(tmp_path):
    # Issue 14: specs match system names ignoring case, so "CALM" and "CaLM" are one system
    # (this test asserted 2 runs before that decision).
    text = "system,date,compute_flop\nCALM,2020-01-01,1e21\nCaLM,2020-01-01,2e21\n"
    assert len(fio.read_runs(write(tmp_path, text)).runs) == 1


@pytest.mark.parametrize(
    ("column", "value", "allowed"),
    [
        ("method", "guessed", "counted, hardware, reported, other"),
        ("confidence", "sure", "confident, likely, speculative, unknown"),
    ],
)
def test_an_unknown_label_excludes_the_row_naming_the_allowed_labels(
    tmp_path, column, value, allowed
):
    text = f"system,date,compute_flop,{column}\nA,2020-01-01,1e21,\nB,2020-01-01,1e21,{value}\n"
    table = fio.read_runs(write(tmp_path, text))
    problem = one_problem(table)
    assert (problem["row"], problem["column"], problem["value"]) == (3, column, value)
    assert f"(allowed: {allowed}, or empty)" in problem["reason"]
    assert table.runs["system"].tolist() == ["A"]


def test_a_missing_system_name_excludes_the_row(tmp_path):
    text = "system,date,compute_flop\n,2020-01-01,1e21\nA,2020,1e21\n"
    table = fio.read_runs(write(tmp_path, text))
    rows = table.problems.set_index("row")
    assert rows.loc[2, "column"] == "system" and "is missing" in rows.loc[2, "reason"]
    assert rows.loc[3, "column"] == "date"


def test_every_problem_is_reported_at_once_one_per_cell(tmp_path):
    text = (
        "system,date,compute_flop,method,confidence\n"
        "ok,2020-01-01,1e20,counted,likely\n"
        "b1,not-a-date,-1,bogus,sure\n"  # 4 problems
        "b2,2099-01-01,0,,\n"  # 2 problems
        "ok,2020-01-01,abc,,\n"  # duplicate + text: 2 problems
        ",,,,\n"  # system, date, compute: 3 problems
    )
    table = fio.read_runs(write(tmp_path, text), today=TODAY)
    assert len(table.problems) == 11
    assert table.problems.groupby("row").size().to_dict() == {3: 4, 4: 2, 5: 2, 6: 3}
    assert table.excluded["row"].tolist() == [3, 4, 5, 6]
    row3 = table.excluded.set_index("row").loc[3]
    assert row3["column"] == "date; compute_flop; method; confidence"
    assert row3["value"] == "not-a-date; -1; bogus; sure"
    assert len(row3["reason"].split("; ")) == 4


def test_bad_optional_values_are_ignored_and_reported_but_the_row_is_kept(tmp_path):
    text = (
        "system,date,compute_flop,training_hours,utilization,cost_usd,hardware_quantity\n"
        "A,2020-01-01,1e21,-5,40,$1200.50,many\n"
    )
    table = fio.read_runs(write(tmp_path, text))
    assert len(table.runs) == 1 and table.excluded.empty
    run = table.runs.iloc[0]
    assert np.isnan(run["training_hours"]) and np.isnan(run["utilization"])
    assert np.isnan(run["hardware_quantity"])
    assert run["cost_usd"] == 1200.5
    assert set(table.problems["action"]) == {"value ignored"}
    assert table.problems["column"].tolist() == [
        "hardware_quantity",
        "training_hours",
        "utilization",
    ]
    assert not table.ok


def test_bounds_that_do_not_contain_the_estimate_are_ignored_beyond_rounding(tmp_path):
    text = (
        "system,date,compute_flop,compute_lower,compute_upper\n"
        "rounded,2020-01-01,5.64e19,5.65e19,\n"
        "wrong,2020-01-01,1e21,5e21,2e20\n"
        "fine,2020-01-01,1e21,5e20,2e21\n"
    )
    table = fio.read_runs(write(tmp_path, text))
    runs = table.runs.set_index("system")
    assert runs.loc["rounded", "compute_lower"] == 5.65e19
    assert np.isnan(runs.loc["wrong", "compute_lower"]) and np.isnan(
        runs.loc["wrong", "compute_upper"]
    )
    assert runs.loc["fine", "compute_upper"] == 2e21
    assert table.problems["check"].tolist() == ["bound_inconsistent", "bound_inconsistent"]
    assert table.problems["row"].tolist() == [3, 3]


def test_nothing_is_silently_dropped_every_row_is_either_usable_or_excluded(tmp_path):
    rng = np.random.default_rng(7)
    values = ["1e21", "0", "-1", "x", "nan", "inf", "", "5e22"]
    dates = ["2020-01-01", "2020-13-01", "", "2099-01-01", "2019-05-05"]
    lines = ["system,date,compute_flop"]
    for _ in range(300):
        name = f"s{rng.integers(0, 200)}"
        lines.append(f"{name},{rng.choice(dates)},{rng.choice(values)}")
    table = fio.read_runs(write(tmp_path, "\n".join(lines) + "\n"), today=TODAY)
    assert len(table.runs) + len(table.excluded) == 300 == table.n_input_rows
    assert table.excluded["row"].is_unique
    assert table.runs["system"].is_unique


# ------------------------------------------------------------------------------------------
# Epoch exports
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "method"),
    [
        ("Operation counting", "counted"),
        ("Hardware,Operation counting", "counted"),
        ("Third-party estimation,Operation counting,Hardware", "counted"),
        ("Hardware", "hardware"),
        ("Reported,Hardware", "hardware"),
        ("Hardware,Cost,Benchmarks", "hardware"),
        ("Reported", "reported"),
        ("Comparison with other models,Reported", "reported"),
        ("Third-party estimation", "other"),
        ("Comparison with other models", "other"),
        ("Benchmarks", "other"),
        ("Cost", "other"),
        ("Other", "other"),
        ("", "other"),
    ],
)
def test_epoch_method_lists_map_to_one_method_and_keep_the_raw_text(tmp_path, raw, method):
    row = {"Model": "A", "Publication date": "2020-01-01", "Training compute (FLOP)": 1e21,
           "Training compute estimation method": raw, "Confidence": "Likely"}  # fmt: skip
    runs = fio.read_runs(epoch_csv(tmp_path, [row])).runs
    assert runs.loc[0, "method"] == method
    if raw:
        assert runs.loc[0, "method_raw"] == raw
    else:
        assert pd.isna(runs.loc[0, "method_raw"])
    assert runs.loc[0, "confidence"] == "likely"


def test_an_epoch_export_maps_every_column_and_parses_cost_text(tmp_path):
    row = {
        "Model": "Big LM",
        "Domain": "Language,Vision",
        "Organization": "Lab A,Lab B",
        "Publication date": "2023-03-14",
        "Link": "https://example.org/paper",
        "Training compute (FLOP)": 2.1e25,
        "Training compute notes": 'long\nnotes, with "quotes"',
        "Training compute lower bound": 1e25,
        "Training compute upper bound": 5e25,
        "Training compute estimation method": "Hardware,Operation counting",
        "Confidence": "Speculative",
        "Training hardware": "NVIDIA A100",
        "Hardware quantity": 25000,
        "Training time (hours)": 2160,
        "Hardware utilization (MFU)": 0.34,
        "Training compute cost (2023 USD)": "$40586592.60",
        "Parameters": 1.8e12,
        "Notability criteria": "Training cost",
        "Compute rank when published": 1,
    }
    table = fio.read_runs(epoch_csv(tmp_path, [row]), today=TODAY)
    assert table.format == "epoch" and table.ok
    run = table.runs.iloc[0]
    expected = {
        "system": "Big LM", "domain": "Language,Vision", "organization": "Lab A,Lab B",
        "source": "https://example.org/paper", "compute_flop": 2.1e25, "compute_lower": 1e25,
        "compute_upper": 5e25, "method": "counted", "confidence": "speculative",
        "hardware": "NVIDIA A100", "hardware_quantity": 25000, "training_hours": 2160,
        "utilization": 0.34, "cost_usd": 40586592.60, "parameters": 1.8e12,
        "method_raw": "Hardware,Operation counting", "notability": "Training cost",
        "compute_rank_at_publication": 1,
    }  # fmt: skip
    assert {k: run[k] for k in expected} == expected
    assert run["date"] == pd.Timestamp("2023-03-14")
    assert "Country (of organization)" in table.ignored_columns


def test_epoch_rows_without_an_estimate_are_excluded_and_counted_but_are_not_problems(tmp_path):
    rows = [
        {"Model": "With", "Publication date": "2020-01-01", "Training compute (FLOP)": 1e21},
        {"Model": "Without", "Publication date": "2020-01-01"},
        {"Model": "Without bad date", "Publication date": "someday"},
    ]
    table = fio.read_runs(epoch_csv(tmp_path, rows))
    assert table.runs["system"].tolist() == ["With"]
    assert table.excluded["reason"].tolist() == [fio.NO_COMPUTE_REASON] * 2
    assert table.excluded["row"].tolist() == [3, 4]
    assert table.excluded["column"].tolist() == ["Training compute (FLOP)"] * 2
    assert table.problems.empty and table.ok


def test_an_epoch_duplicate_without_an_estimate_does_not_hide_the_usable_row(tmp_path):
    rows = [
        {"Model": "P-LLama3", "Publication date": "2024-08-12", "Training compute (FLOP)": 7.2e23},
        {"Model": "P-LLama3", "Publication date": "2024-08-12"},
    ]
    table = fio.read_runs(epoch_csv(tmp_path, rows))
    assert table.runs["system"].tolist() == ["P-LLama3"]
    assert table.excluded["reason"].tolist() == [fio.NO_COMPUTE_REASON]


def test_epoch_problems_name_epochs_own_column_names(tmp_path):
    rows = [{"Model": "A", "Publication date": "2020-01-01", "Training compute (FLOP)": -1,
             "Confidence": "Very likely"}]  # fmt: skip
    table = fio.read_runs(epoch_csv(tmp_path, rows))
    assert table.problems["column"].tolist() == ["Training compute (FLOP)", "Confidence"]
    assert table.problems["reason"].str.startswith(tuple(table.problems["column"])).all()


def test_a_newer_epoch_export_with_missing_and_renamed_optional_columns_loads(tmp_path):
    # The "notable AI models" layout: no estimation-method, bounds, rank or Last modified
    # columns; and an older export's "System" in place of "Model".
    header = [
        "System", "Organization", "Publication date", "Domain", "Task", "Parameters",
        "Training compute (FLOP)", "Training compute notes", "Confidence", "Link",
        "Country (from Organization)", "Training time (hours)", "Training hardware",
        "Hardware quantity", "Hardware utilization (MFU)", "Training compute cost (2023 USD)",
        "Frontier model", "Open model weights?",
    ]  # fmt: skip
    rows = [
        {"System": "GPT-4", "Publication date": "2023-03-15", "Training compute (FLOP)": 2.1e25,
         "Confidence": "Likely", "Country (from Organization)": "United States of America"},
        {"System": "NoEstimate", "Publication date": "2024-01-01"},
        {"System": "Bad", "Publication date": "2024-01-01", "Training compute (FLOP)": "n/a"},
    ]  # fmt: skip
    path = epoch_csv(tmp_path, rows, header=header, name="notable_ai_models.csv")
    table = fio.read_runs(path, today=TODAY)
    assert table.format == "epoch"
    run = table.runs.iloc[0]
    assert run["system"] == "GPT-4"
    assert run["method"] == "other" and pd.isna(run["method_raw"])
    assert run["confidence"] == "likely"
    assert np.isnan(run["compute_lower"]) and np.isnan(run["compute_rank_at_publication"])
    assert table.excluded["row"].tolist() == [3, 4]
    assert table.excluded["reason"].tolist()[0] == fio.NO_COMPUTE_REASON
    problem = one_problem(table)
    assert problem["file"] == str(path)
    assert (problem["row"], problem["column"], problem["value"]) == (
        4,
        "Training compute (FLOP)",
        "n/a",
    )


def test_format_auto_detects_epoch_and_canonical_headers(tmp_path):
    epoch = epoch_csv(tmp_path, [{"Model": "A", "Publication date": "2020-01-01",
                                  "Training compute (FLOP)": 1}])  # fmt: skip
    assert fio.read_runs(epoch).format == "epoch"
    assert fio.read_runs(write(tmp_path, GOOD)).format == "canonical"
    assert fio.read_runs(epoch, format="epoch").format == "epoch"


# ------------------------------------------------------------------------------------------
# Serialisation, hashing, summary, display
# ------------------------------------------------------------------------------------------


def test_write_then_read_round_trips_exactly(tmp_path):
    table = fio.read_runs(
        epoch_csv(
            tmp_path,
            [
                {
                    "Model": "B",
                    "Publication date": "2021-01-01",
                    "Training compute (FLOP)": 1.23456789e23,
                    "Domain": 'Lang, "quoted"',
                    "Hardware quantity": 8,
                },
                {
                    "Model": "A",
                    "Publication date": "2020-01-01",
                    "Training compute (FLOP)": 7.200008e23,
                },
            ],
        )
    )
    out = fio.write_runs(table.runs, tmp_path / "out.csv")
    again = fio.read_runs(out)
    pd.testing.assert_frame_equal(table.runs, again.runs)
    assert fio.data_hash(table.runs) == fio.data_hash(again.runs)


def test_data_hash_ignores_row_order_and_extra_columns_but_not_values(tmp_path):
    runs = fio.read_runs(write(tmp_path, GOOD)).runs
    h = fio.data_hash(runs)
    assert fio.data_hash(runs.iloc[::-1]) == h
    assert fio.data_hash(runs.assign(extra=1)) == h
    changed = runs.copy()
    changed.loc[0, "compute_flop"] = 1.0000001e21
    assert fio.data_hash(changed) != h


def test_summary_counts_add_up_and_list_error_groups_with_sigma(tmp_path):
    text = (
        "system,date,compute_flop,method,confidence,domain\n"
        "old,2005-01-01,1e15,counted,confident,Vision\n"
        'new,2020-01-01,1e21,counted,confident,"Language,Vision"\n'
        "new2,2021-01-01,1e22,hardware,likely,Language\n"
        "bad,2021-01-01,-1,,,\n"
    )
    table = fio.read_runs(write(tmp_path, text))
    s = fio.summarize_runs(table)
    assert s["era"]["runs"].tolist() == [1, 2]
    assert dict(zip(s["method"]["method"], s["method"]["runs"], strict=True)) == {
        "counted": 2, "hardware": 1, "reported": 0, "other": 0,
    }  # fmt: skip
    assert dict(zip(s["domain"]["domain"], s["domain"]["runs"], strict=True)) == {
        "Language": 2, "Vision": 1,
    }  # fmt: skip
    groups = s["error_groups"].set_index("group")
    assert groups["runs"].sum() == 3
    assert groups.loc["modern/counted/confident", "factor"] == pytest.approx(2.0)
    assert groups.loc["modern/counted/confident", "sigma_log10"] == pytest.approx(0.18301, 1e-4)
    assert s["exclusions"].to_dict("records") == [{"reason": "compute is negative", "rows": 1}]


def test_repr_and_html_repr_are_readable_and_escape_system_names(tmp_path):
    text = "system,date,compute_flop\n<script>alert(1)</script>,2020-01-01,1e21\nB,2020,1\n"
    table = fio.read_runs(write(tmp_path, text))
    text_repr = repr(table)
    assert "1 usable runs" in text_repr and "1 excluded" in text_repr and "sha256=" in text_repr
    html = table._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_check_raises_with_the_problem_table_when_there_are_problems(tmp_path):
    table = fio.read_runs(write(tmp_path, "system,date,compute_flop\nA,2020-01-01,0\n"))
    with pytest.raises(DataValidationError) as info:
        table.check()
    assert "row" in str(info.value) and "compute_flop" in str(info.value)
    assert len(info.value.problems) == 1


RUNS_MODULES = [
    "bundled",
    "checks",
    "decode",
    "epoch",
    "error_groups",
    "problems",
    "schema",
    "selection",
    "summary",
    "table",
]


def test_docstring_examples_of_the_runs_package_run():
    result = doctest.testmod(fio, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize("name", RUNS_MODULES)
def test_docstring_examples_of_each_runs_module_run(name):
    module = importlib.import_module(f"flopcast.runs.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


# ------------------------------------------------------------------------------------------
# The bundled dataset
# ------------------------------------------------------------------------------------------


def test_the_bundled_runs_load_with_canonical_columns_and_no_problems():
    table = fio.load_runs()
    assert len(table.runs) == 988
    assert list(table.runs.columns) == list(CANONICAL_COLUMNS)
    assert table.ok
    assert table.runs["system"].is_unique
    assert (table.runs["compute_flop"] > 0).all()
    assert "snapshot 2025-06-20" in table.note


def test_the_bundled_exclusions_are_loaded_unless_asked_not_to():
    assert len(fio.load_runs().excluded) == 904
    assert fio.load_runs(include_excluded=False).excluded.empty


def test_the_bundled_exclusions_account_for_every_snapshot_row():
    table = fio.load_runs(include_excluded=True)
    assert len(table.runs) + len(table.excluded) == table.n_input_rows == 1892
    assert (table.excluded["reason"] == fio.NO_COMPUTE_REASON).sum() == 904
    meta = json.loads(fio.bundled_data_path("snapshot.json").read_text(encoding="utf-8"))
    assert meta["usable_runs"] == len(table.runs)
    assert meta["runs_sha256"] == fio.data_hash(table.runs)


@pytest.mark.skipif(not SNAPSHOT.is_file(), reason=f"Epoch snapshot not found at {SNAPSHOT}")
def test_rebuilding_the_bundled_data_from_the_snapshot_is_byte_identical(tmp_path):
    script = REPO / "data" / "build_dataset.py"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run(
        [sys.executable, str(script), str(SNAPSHOT), "--out-dir", str(tmp_path)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for name in ("runs.csv", "excluded.csv", "snapshot.json"):
        assert filecmp.cmp(tmp_path / name, REPO / "data" / name, shallow=False), name


@pytest.mark.skipif(not SNAPSHOT.is_file(), reason=f"Epoch snapshot not found at {SNAPSHOT}")
def test_importing_the_snapshot_accounts_for_all_1892_rows():
    table = fio.read_runs(SNAPSHOT, today=TODAY)
    assert table.format == "epoch" and table.n_input_rows == 1892
    assert len(table.runs) == 988 and len(table.excluded) == 904
    pd.testing.assert_frame_equal(table.runs, fio.load_runs().runs)


def test_a_100k_row_canonical_file_loads_in_a_few_seconds(tmp_path):
    n = 100_000
    rng = np.random.default_rng(0)
    days = rng.integers(0, 9000, n)
    frame = pd.DataFrame(
        {
            "system": [f"run-{i}" for i in range(n)],
            "date": (pd.Timestamp("2000-01-01") + pd.to_timedelta(days, unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "compute_flop": 10 ** rng.uniform(15, 26, n),
            "method": rng.choice(list(METHODS), n),
            "confidence": rng.choice(list(CONFIDENCES), n),
            "domain": rng.choice(["Language", "Vision,Language"], n),
            "hardware_quantity": rng.integers(1, 10_000, n),
            "training_hours": rng.uniform(1, 2000, n),
        }
    )
    frame.loc[::1000, "compute_flop"] = -1.0  # 100 bad rows
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    start = time.perf_counter()
    table = fio.read_runs(path)
    seconds = time.perf_counter() - start
    print(f"100,000-row canonical file loaded in {seconds:.2f} s")
    assert len(table.runs) == n - 100 and len(table.excluded) == 100
    assert seconds < 10, f"loading 100,000 rows took {seconds:.1f} s"


# ------------------------------------------------------------------------------------------
# Installed package
# ------------------------------------------------------------------------------------------


def _copy_project(dest: Path) -> Path:
    """Copy what the build needs, so building never writes into the shared checkout."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist", "*.pyc")
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "setup.cfg", "MANIFEST.in"):
        if (REPO / name).is_file():
            shutil.copy2(REPO / name, dest / name)
    for name in ("src", "data", "models"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, dest / name, ignore=ignore)
    return dest


def test_the_bundled_data_loads_from_an_installed_wheel_outside_the_checkout(tmp_path):
    project = _copy_project(tmp_path / "project")
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), "."],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = wheels.glob("flopcast-*.whl")

    # A fresh venv that sees the running interpreter's packages (pandas, PyMC...) wherever
    # they are installed: in the base interpreter (as in CI) or in a virtual environment (as
    # most people install). ``system_site_packages`` would see only the base interpreter's.
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=False, with_pip=True).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    # Written after the install, so pip never sees (or touches) the running environment's
    # flopcast; paths listed in a .pth come after the venv's own site-packages, so the
    # wheel just installed is the flopcast imported.
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    visible = [p for p in sys.path if p and Path(p).is_dir() and Path(p).name.endswith("-packages")]
    (Path(purelib) / "_running_interpreter_packages.pth").write_text("\n".join(visible) + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = (
        "import flopcast, flopcast.runs; "
        "print(flopcast.__file__); print(len(flopcast.runs.load_runs().runs))"
    )
    loaded = subprocess.run(
        [str(python), "-c", code], cwd=elsewhere, env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    location, count = loaded.stdout.split()
    assert Path(location).resolve().is_relative_to(env_dir.resolve()), location
    assert count == "988"

    summary = subprocess.run(
        [str(bindir / "flopcast"), "data", "summary"], cwd=elsewhere, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert summary.returncode == 0, summary.stderr
    assert "988 usable runs from 1892 input rows" in summary.stdout
    assert "no training compute estimate" in summary.stdout
    assert str(env_dir.resolve()) in str(Path(summary.stdout.split()[2]).resolve())
