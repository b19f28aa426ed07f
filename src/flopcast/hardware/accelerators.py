"""The bundled accelerator table: peak FLOP/s, memory, power and prices of ML hardware.

The table (``data/accelerators.csv``, built by ``data/build_accelerators.py`` from Epoch AI's
ML hardware data; see ``data/ACCELERATORS.md``) has one row per chip. This module loads it,
finds a chip by a forgiving name match, and looks up the peak FLOP/s a training run would use.

Name matching, in order (the first step that finds exactly one chip wins):

1. the exact name, ignoring case and runs of whitespace;
2. the name with everything but letters and digits removed (``"H100 SXM5 80 GB"`` and
   ``"h100-sxm5-80gb"`` are the same);
3. the same, with the manufacturer left off the table's name (``"V100"`` finds
   ``"NVIDIA V100"``, ``"GeForce GTX 580"`` finds ``"NVIDIA GeForce GTX 580"``);
4. the query's words are the first words of exactly one name (``"NVIDIA H100 SXM5"`` finds
   ``"NVIDIA H100 SXM5 80GB"``), with or without the manufacturer;
5. the query's words all occur in exactly one name.

A step that finds several chips stops the search with an error listing them (``"A100"`` is
both ``"NVIDIA A100"`` and ``"Intel A100"``, a 2007 CPU); no match lists the closest names.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

import pandas as pd

from flopcast.caches import cached
from flopcast.exceptions import AcceleratorNotFoundError, PrecisionUnavailableError
from flopcast.runs.bundled import bundled_data_path

#: Precision name -> column of the accelerator table holding that peak rate.
PRECISION_COLUMNS: dict[str, str] = {
    "fp64": "peak_fp64_flops",
    "fp32": "peak_fp32_flops",
    "fp16": "peak_fp16_flops",
    "tf32": "peak_tf32_flops",
    "tensor_fp16_bf16": "peak_tensor_fp16_bf16_flops",
    "fp8": "peak_fp8_flops",
    "int8": "peak_int8_ops",
}

#: Other spellings accepted for a precision.
PRECISION_ALIASES: dict[str, str] = {
    "bf16": "tensor_fp16_bf16",
    "tensor": "tensor_fp16_bf16",
    "tensor_fp16": "tensor_fp16_bf16",
    "tensor_bf16": "tensor_fp16_bf16",
    "tensorfp16bf16": "tensor_fp16_bf16",
    "double": "fp64",
    "single": "fp32",
    "half": "fp16",
}

#: What ``precision="auto"`` tries, in order: the mixed-precision tensor-core rate that
#: training has used since NVIDIA Volta (2017) and Google TPU v2, else plain fp32, which is
#: what training ran in before tensor units existed (the source analysis uses the fp32 rate
#: for AlexNet's GTX 580s).
AUTO_PRECISION_ORDER: tuple[str, ...] = ("tensor_fp16_bf16", "fp32")

__all__ = [
    "AUTO_PRECISION_ORDER",
    "PRECISION_COLUMNS",
    "AcceleratorNotFoundError",
    "PeakFlops",
    "PrecisionUnavailableError",
    "find_accelerator",
    "load_accelerators",
    "peak_flops",
]


@dataclass(frozen=True)
class PeakFlops:
    """A chip's peak rate at one precision, and why that precision was used.

    Attributes
    ----------
    flops : float
        Peak rate in FLOP/s (OP/s for int8) per chip.
    precision : str
        Key of :data:`PRECISION_COLUMNS` the rate is for.
    accelerator : str
        The table's name for the chip.
    reason : str
        How the precision was chosen, in words.
    """

    flops: float
    precision: str
    accelerator: str
    reason: str

    def __float__(self) -> float:
        return self.flops

    def __str__(self) -> str:
        return f"{self.flops:.3e} FLOP/s ({self.precision}; {self.reason})"


@cached("hardware.accelerators")
def _accelerators() -> pd.DataFrame:
    dtypes = {
        "name": "string",
        "manufacturer": "string",
        "type": "string",
        "ml_hardware": "bool",
        **{col: "float64" for col in PRECISION_COLUMNS.values()},
    }
    frame = pd.read_csv(bundled_data_path("accelerators.csv"), dtype=dtypes, encoding="utf-8")
    for col in [c for c in frame.columns if c == "release_date" or c.endswith("_date")]:
        frame[col] = pd.to_datetime(frame[col], format="%Y-%m-%d")
    return frame


def load_accelerators() -> pd.DataFrame:
    """Load the bundled accelerator table (one row per chip).

    Columns are documented in ``data/ACCELERATORS.md``: ``name``, ``manufacturer``, ``type``
    (``GPU``, ``TPU``, ``CPU``, ...), ``release_date``, peak rates ``peak_<precision>_flops``
    (NaN where unknown), ``memory_bytes``, ``tdp_w``, ``release_price_usd`` and summaries of
    the price observations. The returned frame is a copy: change it freely.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> table = load_accelerators()
    >>> "NVIDIA H100 SXM5 80GB" in set(table["name"])
    True
    """
    return _accelerators().copy()


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def _words(text: str) -> list[str]:
    # "80 GB" and "80GB" are the same word.
    text = re.sub(r"(\d)\s+(gb|tb|mb)\b", r"\1\2", text.casefold())
    return re.findall(r"[0-9a-z]+", text)


@cached("hardware.name_index")
def _name_index() -> pd.DataFrame:
    table = _accelerators()
    names = table["name"].astype(str)
    manufacturers = table["manufacturer"].fillna("").astype(str)
    stripped = [
        n[len(m) :].strip() if m and n.casefold().startswith(m.casefold() + " ") else n
        for n, m in zip(names, manufacturers, strict=True)
    ]
    return pd.DataFrame(
        {
            "name": names,
            "collapsed": names.map(_collapse),
            "alnum": names.map(_alnum),
            "alnum_stripped": [_alnum(s) for s in stripped],
            "words": names.map(_words),
            "words_stripped": [_words(s) for s in stripped],
        }
    )


def _describe(names: list[str]) -> str:
    table = _accelerators().set_index("name")
    parts = []
    for name in names:
        row = table.loc[name]
        kind = row["type"] if isinstance(row["type"], str) else "type unknown"
        year = f", {row['release_date'].year}" if pd.notna(row["release_date"]) else ""
        parts.append(f'"{name}" ({kind}{year})')
    return ", ".join(parts)


def _closest(query: str, index: pd.DataFrame, n: int = 6) -> list[str]:
    """Names to suggest: those sharing a model number with the query first, then difflib's."""
    lowered = dict(zip(index["collapsed"], index["name"], strict=True))
    q = _collapse(query)

    def ratio(key: str) -> float:
        return difflib.SequenceMatcher(None, q, key).ratio()

    model_numbers = {w for w in _words(query) if any(ch.isdigit() for ch in w)}
    sharing = [
        key
        for key, words in zip(index["collapsed"], index["words"], strict=True)
        if model_numbers & set(words)
    ]
    picked = sorted(sharing, key=lambda k: (-ratio(k), k))[:n]
    for key in difflib.get_close_matches(q, list(lowered), n=n, cutoff=0.5):
        if len(picked) >= n:
            break
        if key not in picked:
            picked.append(key)
    return [lowered[k] for k in picked]


def _resolve(query: str) -> str:
    """The table name ``query`` refers to, or an AcceleratorNotFoundError."""
    if not isinstance(query, str) or not query.strip():
        raise AcceleratorNotFoundError(
            f"device must be a non-empty accelerator name, got {query!r}; "
            "see flopcast.hardware.load_accelerators()['name'] for the names",
            query=str(query),
            candidates=[],
        )
    index = _name_index()
    qwords = _words(query)
    n = len(qwords)
    steps = [
        index["collapsed"] == _collapse(query),
        index["alnum"] == _alnum(query),
        index["alnum_stripped"] == _alnum(query),
        index["words"].map(lambda w: w[:n] == qwords)
        | index["words_stripped"].map(lambda w: w[:n] == qwords),
        index["words"].map(lambda w: bool(qwords) and set(qwords) <= set(w)),
    ]
    for hits in steps:
        names = index.loc[hits, "name"].tolist()
        if len(names) == 1:
            return names[0]
        if len(names) > 1:
            shown = sorted(names, key=str.casefold)[:12]
            more = f" and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
            raise AcceleratorNotFoundError(
                f'"{query}" matches {len(names)} accelerators: {_describe(shown)}{more}. '
                "Give the full name of one of them.",
                query=query,
                candidates=shown,
            )
    close = _closest(query, index)
    hint = f" Closest names: {_describe(close)}." if close else ""
    raise AcceleratorNotFoundError(
        f'No accelerator named "{query}" in the bundled table.{hint} '
        "Use one of the table's names (flopcast.hardware.load_accelerators()['name']), or "
        "give peak_flops= directly.",
        query=query,
        candidates=close,
    )


def find_accelerator(name: str) -> pd.Series:
    """Find one accelerator by name, forgiving case, spacing and the manufacturer prefix.

    Parameters
    ----------
    name : str
        The chip's name, e.g. ``"NVIDIA H100 SXM5 80GB"``, ``"nvidia h100 sxm5"``, ``"V100"``.

    Returns
    -------
    pandas.Series
        The table row (see :func:`load_accelerators`); ``row["name"]`` is the table's name.

    Raises
    ------
    AcceleratorNotFoundError
        If no chip matches (the message lists the closest names) or several do (it lists
        them). The module docstring describes the matching rules.

    Examples
    --------
    >>> find_accelerator("NVIDIA H100 SXM5")["name"]
    'NVIDIA H100 SXM5 80GB'
    >>> find_accelerator("v100")["name"]
    'NVIDIA V100'
    """
    table = _accelerators()
    match = _resolve(name)
    return table.loc[table["name"] == match].iloc[0].copy()


def _normalize_precision(precision: str) -> str:
    key = re.sub(r"[\s\-/]+", "_", str(precision).strip().casefold())
    key = PRECISION_ALIASES.get(key, PRECISION_ALIASES.get(key.replace("_", ""), key))
    if key != "auto" and key not in PRECISION_COLUMNS:
        raise PrecisionUnavailableError(
            f"precision={precision!r} is not known; use 'auto' or one of "
            f"{', '.join(PRECISION_COLUMNS)}"
        )
    return key


def _available(row: pd.Series) -> str:
    avail = [f"{p}={row[c]:.3g}" for p, c in PRECISION_COLUMNS.items() if not math.isnan(row[c])]
    return ", ".join(avail) if avail else "none"


def peak_flops(name: str, precision: str = "auto") -> PeakFlops:
    """Peak FLOP/s per chip at the precision a training run would use.

    Parameters
    ----------
    name : str
        Accelerator name, matched as in :func:`find_accelerator`.
    precision : str, default "auto"
        One of ``fp64``, ``fp32``, ``fp16`` (non-tensor half precision), ``tf32``,
        ``tensor_fp16_bf16`` (alias ``bf16``), ``fp8``, ``int8``; or ``"auto"``: the
        tensor-core fp16/bf16 rate if the table has one (mixed-precision training, the norm
        since 2017-2018), otherwise fp32 (what earlier training used).

    Returns
    -------
    PeakFlops
        ``flops`` (FLOP/s), the ``precision`` used, the table's ``accelerator`` name and a
        ``reason`` saying why that precision.

    Raises
    ------
    AcceleratorNotFoundError
        If the name does not identify one chip.
    PrecisionUnavailableError
        If the precision is unknown or the table has no rate for it on this chip (the message
        lists the rates it has).

    Examples
    --------
    >>> peak = peak_flops("NVIDIA H100 SXM5")
    >>> peak.precision, peak.flops
    ('tensor_fp16_bf16', 989400000000000.0)
    >>> peak_flops("GeForce GTX 580").precision   # no tensor cores in 2010
    'fp32'
    """
    row = find_accelerator(name)
    key = _normalize_precision(precision)
    if key == "auto":
        for candidate in AUTO_PRECISION_ORDER:
            value = row[PRECISION_COLUMNS[candidate]]
            if not math.isnan(value):
                reason = (
                    "auto: tensor-core fp16/bf16, the mixed-precision rate training uses"
                    if candidate == "tensor_fp16_bf16"
                    else "auto: no tensor-core fp16/bf16 rate in the table, so fp32"
                )
                return PeakFlops(float(value), candidate, row["name"], reason)
        raise PrecisionUnavailableError(
            f'"{row["name"]}" has neither a tensor-core fp16/bf16 nor an fp32 peak rate in the '
            f"table (it has: {_available(row)}); choose one of those with precision=<name>, "
            "or give peak_flops= directly"
        )
    value = row[PRECISION_COLUMNS[key]]
    if math.isnan(value):
        raise PrecisionUnavailableError(
            f'the table has no {key} peak rate for "{row["name"]}" (it has: {_available(row)}); '
            "choose one of those with precision=<name>, or give peak_flops= directly"
        )
    return PeakFlops(float(value), key, row["name"], "as requested")
