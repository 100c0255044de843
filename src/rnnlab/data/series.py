"""Time series for forecasting: a column of a CSV file, the series bundled with statsmodels under
readable names, and many series from the Monash ``.tsf`` format (the M1 yearly set).

Every reader gives ``Series`` records: ``values`` (T, D) float64 with the series to forecast in
column 0 (other columns are inputs only), ``dates`` (T strings, or None), ``season`` (the season
length m: 12 monthly, 4 quarterly, 1 when there is none) and a default ``horizon``.

Missing values (an empty cell, NA, NaN, ``?``) inside a series are filled by linear interpolation
between their neighbours, and the reader says which rows; missing values at either end are an error
naming the rows, since nothing can be interpolated there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .files import read_rows, read_text

__all__ = ["Series", "read_csv_series", "read_tsf", "named_series", "load_series", "NAMED_SERIES"]

MISSING = {"", "na", "nan", "n/a", "null", "?", "none"}


@dataclass
class Series:
    name: str
    values: np.ndarray  # (T, D) float64; column 0 is forecast
    dates: list[str] | None = None
    season: int = 1
    horizon: int | None = None
    columns: list[str] = field(default_factory=lambda: ["value"])
    notes: list[str] = field(default_factory=list)  # what the reader did (interpolated rows...)


def _fill(values: np.ndarray, rows: list[str], what: str) -> list[str]:
    """Interpolate NaNs inside each column of ``values`` (T, D) in place; ``rows`` names each step."""
    notes = []
    for d in range(values.shape[1]):
        bad = np.isnan(values[:, d])
        if not bad.any():
            continue
        good = np.flatnonzero(~bad)
        if len(good) == 0:
            raise ValueError(f"{what}: every value is missing")
        ends = [i for i in np.flatnonzero(bad) if i < good[0] or i > good[-1]]
        if ends:
            raise ValueError(f"{what}: missing values at the start or end ({_rows(rows, ends)}); "
                             f"trim them, only values inside a series are interpolated")
        where = np.flatnonzero(bad)
        values[where, d] = np.interp(where, good, values[good, d])
        notes.append(f"{what}: interpolated {len(where)} missing value(s) linearly ({_rows(rows, where)})")
    return notes


def _rows(rows: list[str], idx) -> str:
    idx = list(idx)
    shown = ", ".join(rows[i] for i in idx[:5])
    return shown + (f" and {len(idx) - 5} more" if len(idx) > 5 else "")


def read_csv_series(path: str | Path, columns: list[str] | None = None, date_column: str | None = None,
                    season: int = 1) -> Series:
    """Columns of a CSV (or TSV) file with a header row; the first of ``columns`` is forecast (default:
    the only numeric column besides ``date_column``)."""
    path = Path(path)
    rows = [r for r in read_rows(path) if any(c.strip() for c in r)]
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    if not body:
        raise ValueError(f"{path} has a header but no rows")
    if date_column is not None and date_column not in header:
        raise ValueError(f"{path} has no column {date_column!r} for --date-column (its header: {', '.join(header)})")
    if columns is None:
        candidates = [h for h in header if h != date_column]
        if len(candidates) != 1:
            raise ValueError(f"{path} has several columns ({', '.join(header)}); name the one to forecast with "
                             f"--column")
        columns = candidates
    for c in columns:
        if c not in header:
            raise ValueError(f"{path} has no column {c!r} (its header: {', '.join(header)}); expected --column "
                             f"to name one of them")
    index = [header.index(c) for c in columns]
    values = np.empty((len(body), len(columns)))
    names = [f"row {i}" for i in range(2, len(body) + 2)]
    for i, row in enumerate(body):
        for j, k in enumerate(index):
            cell = row[k].strip() if k < len(row) else ""
            if cell.lower() in MISSING:
                values[i, j] = np.nan
                continue
            try:
                values[i, j] = float(cell)
            except ValueError:
                raise ValueError(f"{path}:{i + 2}: column {columns[j]!r} holds {cell!r}, not a number; expected "
                                 f"a numeric column") from None
            if not np.isfinite(values[i, j]):
                raise ValueError(f"{path}:{i + 2}: column {columns[j]!r} holds {cell!r}; expected a finite number")
    dates = None
    if date_column is not None:
        d = header.index(date_column)
        dates = [row[d].strip() if d < len(row) else "" for row in body]
        names = [f"row {i + 2} ({dates[i]})" for i in range(len(body))]
    notes = _fill(values, names, str(path))
    return Series(path.stem, values, dates, season, None, list(columns), notes)


# name: (statsmodels dataset, frequency, season, horizon, what it is)
NAMED_SERIES = {
    "sunspots": ("sunspots", "yearly", 1, 6, "yearly mean sunspot numbers, 1700-2008"),
    "nile": ("nile", "yearly", 1, 6, "annual flow of the Nile at Aswan, 1871-1970 (10^8 m^3)"),
    "co2": ("co2", "monthly", 12, 12, "Mauna Loa CO2, monthly means of the weekly record, 1958-2001 (ppm)"),
    "elnino": ("elnino", "monthly", 12, 12, "El Nino region sea surface temperature, monthly, 1950-2010 (C)"),
    "gdp": ("macrodata", "quarterly", 4, 8, "US real GDP, quarterly, 1959Q1-2009Q3 (billions of 2005 dollars)"),
    "m1-yearly": (None, "yearly", 1, 6, "the 181 yearly series of the M1 competition (Monash .tsf)"),
}


def _statsmodels(name: str) -> Series:
    try:
        import statsmodels.api as sm
    except ImportError:
        raise ValueError(f"the named series {name!r} ships with statsmodels, which is not installed; "
                         f"pip install \"rnnlab[forecast]\"") from None
    source, _, season, horizon, _ = NAMED_SERIES[name]
    data = getattr(sm.datasets, source).load_pandas().data
    if name == "sunspots":
        values, dates = data["SUNACTIVITY"].to_numpy(), [str(int(y)) for y in data["YEAR"]]
    elif name == "nile":
        values, dates = data["volume"].to_numpy(), [str(int(y)) for y in data["year"]]
    elif name == "co2":  # weekly, with gaps: the mean of each month's weeks
        monthly = data["co2"].resample("MS").mean()
        values, dates = monthly.to_numpy(), [d.strftime("%Y-%m") for d in monthly.index]
    elif name == "elnino":
        values = data.iloc[:, 1:].to_numpy().ravel()
        dates = [f"{int(y)}-{m:02d}" for y in data["YEAR"] for m in range(1, 13)]
    else:
        values = data["realgdp"].to_numpy()
        dates = [f"{int(y)}Q{int(q)}" for y, q in zip(data["year"], data["quarter"])]
    values = np.asarray(values, np.float64)[:, None].copy()
    notes = _fill(values, dates, name)
    return Series(name, values, dates, season, horizon, [name], notes)


def read_tsf(path: str | Path) -> list[Series]:
    """Every series of a Monash forecasting-repository ``.tsf`` file: ``@attribute``, ``@frequency``,
    ``@horizon`` header lines, then after ``@data`` one series a line, ``attr1:attr2:...:v1,v2,...``
    with ``?`` for a missing value."""
    path = Path(path)
    attributes, frequency, horizon, out = [], None, None, []
    seasons = {"yearly": 1, "quarterly": 4, "monthly": 12, "weekly": 1, "daily": 7, "hourly": 24}
    lines = read_text(path).splitlines()
    data_at = None
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower() == "@data":
            data_at = number
            break
        if line.startswith("@"):
            key, _, rest = line[1:].partition(" ")
            key = key.lower()
            if key == "attribute":
                attributes.append(rest.split()[0])
            elif key == "frequency":
                frequency = rest.strip().lower()
            elif key == "horizon":
                horizon = int(rest)
            continue
        raise ValueError(f"{path}:{number}: expected a header line (@attribute, @frequency, ...) before @data")
    if data_at is None:
        raise ValueError(f"{path} has no @data line; expected the Monash .tsf format")
    for number, line in enumerate(lines[data_at:], data_at + 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if len(parts) != len(attributes) + 1:
            raise ValueError(f"{path}:{number}: {len(parts) - 1} attribute value(s), the header declares "
                             f"{len(attributes)}; expected attr:...:v1,v2,...")
        name = parts[0] if attributes else f"T{len(out) + 1}"
        cells = parts[-1].split(",")
        try:
            values = np.array([np.nan if c.strip() == "?" else float(c) for c in cells])[:, None]
        except ValueError:
            raise ValueError(f"{path}:{number}: a value that is not a number; expected v1,v2,... with ? "
                             f"for a missing one") from None
        notes = _fill(values, [f"point {i + 1}" for i in range(len(values))], f"{path.name} {name}")
        out.append(Series(name, values, None, seasons.get(frequency, 1), horizon, ["value"], notes))
    if not out:
        raise ValueError(f"{path} holds no series after @data")
    return out


def _m1_yearly(data_dir: Path) -> list[Series]:
    """DATA_DIR/m1/m1_yearly_dataset.tsf[.gz] (``rnnlab data download m1-yearly``), else the copy inside
    an installed aeon package."""
    for name in ("m1_yearly_dataset.tsf", "m1_yearly_dataset.tsf.gz"):
        if (Path(data_dir) / "m1" / name).is_file():
            return read_tsf(Path(data_dir) / "m1" / name)
    try:
        from importlib.resources import files

        found = files("aeon") / "datasets" / "data" / "m1_yearly_dataset" / "m1_yearly_dataset.tsf"
        if found.is_file():
            return read_tsf(Path(str(found)))
    except ImportError:
        pass
    raise FileNotFoundError(f"m1-yearly: no {Path(data_dir) / 'm1' / 'm1_yearly_dataset.tsf'} and no aeon package; "
                            f"fetch it with: rnnlab data download m1-yearly")


def named_series(name: str, data_dir: Path | None = None) -> list[Series]:
    if name == "m1-yearly":
        return _m1_yearly(data_dir)
    return [_statsmodels(name)]


def load_series(data: str, data_dir: Path | None = None, columns: list[str] | None = None,
                date_column: str | None = None, season: int | None = None) -> list[Series]:
    """The series of ``data``: a name of ``NAMED_SERIES``, a ``.tsf`` file (many series) or a CSV/TSV
    file (one, the first of ``columns`` forecast). ``season`` overrides the data's own."""
    if data in NAMED_SERIES:
        if columns or date_column:
            raise ValueError(f"--column and --date-column are for CSV files; {data!r} is a named series")
        series = named_series(data, data_dir)
    elif data.endswith((".tsf", ".tsf.gz")):
        series = read_tsf(data)
    elif Path(data).suffix in (".csv", ".tsv", ".gz", ".txt") or Path(data).is_file():
        series = [read_csv_series(data, columns, date_column)]
    else:
        raise FileNotFoundError(f"no such file or named series: {data}; expected a CSV file, a .tsf file or one "
                                f"of {', '.join(NAMED_SERIES)}")
    if season is not None:
        for s in series:
            s.season = season
    return series
