"""The teacher's kit's times: each notebook's measured cpu-profile time, and the same run derived for a CPU without AMX.

    python tools/kit_times.py measure
        Times one evaluation of each optimiser and precision the notebooks' long cells use, on
        this machine, in child processes: as the cpu run used them ("native": bfloat16 where
        ``precision="auto"`` chose it, float32 otherwise) and in float32 with oneDNN limited to
        AVX2 (``ONEDNN_MAX_CPU_ISA=AVX2``, set before TensorFlow starts: the stand-in for a CPU
        without AMX or AVX-512, as most laptops and Colab's CPU runtime are). Writes
        teaching/step_times.json, with the CPU named and the machine's load. About 2 minutes.
    python tools/kit_times.py table [--write]
        From teaching/cell_times.json (each cell's seconds in the last cpu run, written by
        ``python tools/notebooks.py run --profile cpu``), the estimate lines the committed
        notebooks printed, and teaching/step_times.json: prints the timing table, and with
        ``--write`` puts it between the markers in teaching/README.md and README.md, and fills
        the kit's inline figures (``<!-- kt NN what column -->...<!-- /kt -->``).

The derived figure: every cell that printed an estimate ("about 50 s (CPU: ...; bfloat16,
256x144 px, 300 evaluations)") is rescaled by the float32-without-AMX time of one evaluation at
that size over the time of one evaluation in the precision it printed; other cells are counted
as measured.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEACHING = ROOT / "teaching"
CELL_TIMES_FILE = TEACHING / "cell_times.json"
STEP_TIMES_FILE = TEACHING / "step_times.json"
KIT = TEACHING / "README.md"
QUICKSTART = TEACHING / "quickstart.md"
README = ROOT / "README.md"
README_KO = ROOT / "README.ko.md"
KOREAN = "ko"  # the Korean edition's folder: its documents get the table and figures in Korean
TABLE_START, TABLE_END = "<!-- kit-times:start -->", "<!-- kit-times:end -->"
EMULATED_ISA = "AVX2"
# A notebook whose cells without an estimate line took at least this long each, and together over
# this share of its time, gets its derived figure marked "at least": those cells slow down too.
UNSCALED_CELL_SECONDS, UNSCALED_SHARE = 10.0, 0.25
RERUN = ("run `python tools/notebooks.py run --profile cpu`, then `python tools/kit_times.py table --write`")

# "about 3 min 1 s (CPU: Intel(R) Xeon(R) ... (family 6, ...; AMX-BF16); float32, 256x144 px, 400 steps)"
ESTIMATE = re.compile(r"about (?P<duration>(?:\d+ h ?)?(?:\d+ min ?)?(?:\d+ s)?) \((?P<device>.*); "
                      r"(?P<precision>float32|bfloat16), (?P<width>\d+)x(?P<height>\d+) px, "
                      r"(?P<count>\d+) (?P<unit>steps|evaluations)\)")
INLINE = re.compile(r"<!-- kt (?P<notebook>\S+) (?P<what>total|longest|rest|each) (?P<column>cpu|f32) -->"
                    r"(?P<text>.*?)<!-- /kt -->")


@dataclass(frozen=True)
class Estimate:
    """One estimate line a long cell printed before it ran.

    Attributes:
        seconds: The estimate.
        optimizer: ``"adam"`` (it counted steps) or ``"lbfgs"`` (evaluations).
        precision: ``"float32"`` or ``"bfloat16"``.
        pixels: The result's pixels.
    """

    seconds: float
    optimizer: str
    precision: str
    pixels: int


@dataclass(frozen=True)
class Row:
    """One notebook's line of the table.

    Attributes:
        notebook: Its path in the repository.
        measured: Seconds of the cpu run.
        derived: Seconds derived for float32 without AMX.
        lower_bound: Cells that printed no estimate are a large part of it, so ``derived`` is a floor.
        cells: Each cell's measured seconds, by index.
        derived_cells: Each cell's derived seconds, by index.
        estimated: The indices of the cells that printed an estimate, with how many lines each.
    """

    notebook: str
    measured: float
    derived: float
    lower_bound: bool
    cells: dict[str, float]
    derived_cells: dict[str, float]
    estimated: dict[str, int]


def duration_seconds(text: str) -> float:
    """``'3 min 1 s'``, ``'50 s'``, ``'12 min'``, ``'1 h 5 min'`` (``format_seconds``'s forms) in seconds.

    Raises:
        ValueError: ``text`` is none of those forms.
    """
    parts = re.findall(r"(\d+) (h|min|s)\b", text)
    if not parts or " ".join(f"{n} {u}" for n, u in parts) != " ".join(text.split()):
        raise ValueError(f"not a duration such as '3 min 1 s': {text!r}")
    return float(sum(int(number) * {"h": 3600, "min": 60, "s": 1}[unit] for number, unit in parts))


def parse_estimates(text: str) -> list[Estimate]:
    """Every estimate line in ``text`` (a cell's printed output)."""
    found = []
    for match in ESTIMATE.finditer(text):
        found.append(Estimate(duration_seconds(match["duration"]), "adam" if match["unit"] == "steps" else "lbfgs",
                              match["precision"], int(match["width"]) * int(match["height"])))
    return found


def _output_text(cell: dict) -> str:
    texts = []
    for output in cell.get("outputs", []):
        text = output.get("text", "") if output.get("output_type") == "stream" else \
            output.get("data", {}).get("text/plain", "")
        texts.append("".join(text) if isinstance(text, list) else text)
    return "\n".join(texts)


def notebook_estimates(path: Path) -> dict[str, list[Estimate]]:
    """The estimate lines of a committed notebook's outputs, by cell index (cells with none left out)."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    found = {str(index): parse_estimates(_output_text(cell)) for index, cell in enumerate(cells)
             if cell.get("cell_type") == "code"}
    return {index: estimates for index, estimates in found.items() if estimates}


def per_evaluation(times: dict, pixels: int) -> float:
    """Seconds of one evaluation at ``pixels`` from a ``StepTimes`` record, as ``StepTimes.per_evaluation``."""
    from nst_extended.timing import StepTimes

    return StepTimes.from_record(times).per_evaluation(pixels)


def ratio(estimate: Estimate, steps: dict) -> float:
    """How much longer ``estimate``'s run takes in float32 without AMX than in the precision it printed.

    Raises:
        KeyError: ``steps`` lacks the times needed, naming them.
    """
    key = f"{estimate.optimizer} {estimate.precision}"
    native, emulated = steps.get("native", {}), steps.get("float32_avx2", {})
    if key not in native or f"{estimate.optimizer} float32" not in emulated:
        raise KeyError(f"{STEP_TIMES_FILE.relative_to(ROOT)} has no step times for {key} (native) and "
                       f"{estimate.optimizer} float32 ({EMULATED_ISA}): run `python tools/kit_times.py measure`")
    return (per_evaluation(emulated[f"{estimate.optimizer} float32"], estimate.pixels)
            / per_evaluation(native[key], estimate.pixels))


def cell_ratio(estimates: list[Estimate], steps: dict) -> float:
    """One cell's factor: its estimates' ratios, each weighted by its estimated seconds."""
    ratios = [ratio(estimate, steps) for estimate in estimates]
    weights = [estimate.seconds for estimate in estimates]
    if sum(weights) <= 0:
        return statistics.fmean(ratios)
    return sum(r * w for r, w in zip(ratios, weights)) / sum(weights)


def notebook_row(notebook: str, record: dict, estimates: dict[str, list[Estimate]], steps: dict) -> Row:
    """One notebook's measured and derived seconds, from its cpu run's ``record`` and its estimate lines."""
    cells = {index: float(seconds) for index, seconds in record["cells"].items()}
    derived_cells = {index: seconds * cell_ratio(estimates[index], steps) if index in estimates else seconds
                     for index, seconds in cells.items()}
    measured = float(record["seconds"])
    overhead = max(0.0, measured - sum(cells.values()))  # the kernel's start, between cells
    unscaled = sum(seconds for index, seconds in cells.items()
                   if index not in estimates and seconds >= UNSCALED_CELL_SECONDS)
    return Row(notebook, measured, overhead + sum(derived_cells.values()),
               measured > 0 and unscaled / measured > UNSCALED_SHARE, cells, derived_cells,
               {index: len(found) for index, found in estimates.items() if index in cells})


# The table's and the figures' words in each language of the series.
WORDS = {
    "en": {"s": "{:.0f} s", "min": "{:.1f} min", "about_s": "about {} s", "about_min": "about {} min",
           "at_least": "at least ", "not_measured": "not measured", "all": "all of them",
           "head": "| notebook | `cpu` profile, measured on {cpus}, {when} | float32 (derived): the same CPU without AMX | GPU |",
           "loaded": ", load average {before:g} before and {after:g} after",
           "note": ("**float32 (derived)**: the measured run, with each cell that printed an estimate rescaled by the time "
                    "of one float32 evaluation with oneDNN limited to {isa} over one in the precision it printed, at its "
                    "size (`python tools/kit_times.py measure` on {cpu}, {date}{loaded}); other cells as measured "
                    "(\"at least\": long cells without an estimate). **GPU**: not measured (no GPU with TensorFlow at "
                    "hand)."),
           "dates": "{} to {}"},
    "ko": {"s": "{:.0f}초", "min": "{:.1f}분", "about_s": "약 {}초", "about_min": "약 {}분",
           "at_least": "최소 ", "not_measured": "측정하지 않음", "all": "전체",
           "head": "| 노트북 | `cpu` 프로필, {cpus}에서 측정, {when} | float32 (추정): AMX가 없는 같은 CPU | GPU |",
           "loaded": ", 측정 전 load average {before:g}, 측정 후 {after:g}",
           "note": ("**float32 (추정)**: 측정한 실행에서, 예상 시간을 출력한 셀마다 그 크기에서 oneDNN을 {isa}로 제한한 "
                    "float32 평가 한 번의 시간을 그 셀이 출력한 정밀도의 평가 한 번의 시간으로 나눈 비율을 곱했습니다"
                    "({cpu}에서 `python tools/kit_times.py measure`, {date}{loaded}). 다른 셀은 측정한 그대로입니다"
                    "(\"최소\": 예상 시간을 출력하지 않은 긴 셀이 있음). 시간은 영어 노트북을 실행해 잰 것이며, 한국어 노트북은 "
                    "같은 코드를 실행합니다. **GPU**: 측정하지 않았습니다(TensorFlow가 있는 GPU가 없음)."),
           "dates": "{}~{}"},
}


def format_duration(seconds: float, language: str = "en") -> str:
    """``'9 s'``, ``'3.5 min (199 s)'`` (in Korean ``'9초'``, ``'3.5분 (199초)'``): a table cell."""
    words = WORDS[language]
    if seconds < 90:
        return words["s"].format(seconds)
    return f"{words['min'].format(seconds / 60)} ({words['s'].format(seconds)})"


def coarse(seconds: float, language: str = "en") -> str:
    """``'about 10 s'``, ``'about 3.5 min'`` (``'약 10초'``): a figure for prose, rounded as a teacher plans."""
    words = WORDS[language]
    if seconds < 20:
        return words["about_s"].format(max(1, round(seconds)))
    if seconds < 90:
        return words["about_s"].format(round(seconds / 5) * 5)
    minutes = seconds / 60
    return words["about_min"].format(f"{round(minutes * 2) / 2:g}" if minutes < 10 else round(minutes))


def load_inputs() -> tuple[dict, dict]:
    """``teaching/cell_times.json`` and ``teaching/step_times.json``.

    Raises:
        FileNotFoundError: Either is missing, saying how to make it.
    """
    if not CELL_TIMES_FILE.is_file():
        raise FileNotFoundError(f"{CELL_TIMES_FILE.relative_to(ROOT)} does not exist yet: {RERUN}")
    if not STEP_TIMES_FILE.is_file():
        raise FileNotFoundError(f"{STEP_TIMES_FILE.relative_to(ROOT)} does not exist yet: run "
                                "`python tools/kit_times.py measure`, then `python tools/kit_times.py table --write`")
    return (json.loads(CELL_TIMES_FILE.read_text(encoding="utf-8")),
            json.loads(STEP_TIMES_FILE.read_text(encoding="utf-8")))


def rows(cell_times: dict, steps: dict, root: Path = ROOT) -> list[Row]:
    """The table's rows: every notebook of the cpu run, in order."""
    return [notebook_row(name, record, notebook_estimates(root / name), steps)
            for name, record in sorted(_english(cell_times).items(), key=lambda item: (item[0].startswith("teaching"), item[0]))
            if record.get("profile") == "cpu"]


def _english(cell_times: dict) -> dict:
    """The English notebooks' runs: the table's source (a translation runs the same code)."""
    return {name: record for name, record in cell_times.items() if not name.startswith(f"{KOREAN}/")}


def language_of(path: Path) -> str:
    """``"ko"`` for a document of the Korean edition (``README.ko.md``, ``ko/...``), else ``"en"``."""
    path = Path(path).resolve()
    parts = path.relative_to(ROOT).parts if path.is_relative_to(ROOT) else path.parts
    return "ko" if path.name.endswith(".ko.md") or KOREAN in parts else "en"


def _label(notebook: str) -> str:
    stem = Path(notebook).stem
    return f"`{notebook}`" if notebook.startswith("teaching") else stem.replace("_", " ", 1).replace("_", " ")


def _link_target(notebook: str, language: str) -> str:
    """A notebook's path for a table in ``language``: its translation where one exists."""
    translated = f"{KOREAN}/{notebook}"
    return translated if language == "ko" and (ROOT / translated).is_file() else notebook


def render_table(table_rows: list[Row], cell_times: dict, steps: dict, link_prefix: str = "",
                 language: str = "en") -> str:
    """The markdown table with its header lines: each column's CPU named, "float32 (derived)" said in one line."""
    words, runs = WORDS[language], [r for r in _english(cell_times).values() if r.get("profile") == "cpu"]
    cpus = sorted({record["cpu"] for record in runs})
    dates = sorted({record.get("date", "") for record in runs})
    when = dates[0] if len(dates) == 1 else words["dates"].format(dates[0], dates[-1])
    before, after = steps.get("load_average_before"), steps.get("load_average_after")
    loaded = words["loaded"].format(before=before[0], after=after[0]) if before and after else ""
    lines = [words["head"].format(cpus=" and ".join(cpus), when=when), "|---|---|---|---|"]
    notes = ["", words["note"].format(isa=EMULATED_ISA, cpu=steps["cpu"], date=steps["date"], loaded=loaded)]
    for row in table_rows:
        derived = (words["at_least"] if row.lower_bound else "") + format_duration(row.derived, language)
        link = f"[{_label(row.notebook)}]({link_prefix}{_link_target(row.notebook, language)})"
        lines.append(f"| {link} | {format_duration(row.measured, language)} | {derived} | {words['not_measured']} |")
    total_measured = sum(row.measured for row in table_rows)
    total_derived = sum(row.derived for row in table_rows)
    floor = words["at_least"] if any(row.lower_bound for row in table_rows) else ""
    lines.append(f"| {words['all']} | {format_duration(total_measured, language)} | "
                 f"{floor}{format_duration(total_derived, language)} | {words['not_measured']} |")
    return "\n".join(lines + notes)


def inline_figure(table_rows: list[Row], notebook: str, what: str, column: str, language: str = "en") -> str:
    """One inline figure of the kit: a notebook's ``total``, ``longest`` cell, the ``rest`` (cells
    that printed no estimate) or ``each`` (the median time per estimate line), measured or derived.

    Raises:
        KeyError: No notebook's file name starts with ``notebook``.
    """
    matching = [row for row in table_rows if Path(row.notebook).name.startswith(notebook)]
    if not matching:
        raise KeyError(f"no notebook named {notebook}... in {CELL_TIMES_FILE.relative_to(ROOT)}")
    row = matching[0]
    cells = row.cells if column == "cpu" else row.derived_cells
    if what == "total":
        seconds = row.measured if column == "cpu" else row.derived
    elif what == "longest":
        seconds = max(cells.values())
    elif what == "rest":
        seconds = sum(seconds for index, seconds in cells.items() if index not in row.estimated)
    else:
        per_line = [cells[index] / count for index, count in row.estimated.items()]
        seconds = statistics.median(per_line) if per_line else 0.0
    return coarse(seconds, language)


def fill(text: str, table: str, table_rows: list[Row], language: str = "en") -> str:
    """``text`` with the table between the markers (if it has them) and every inline figure filled."""
    if TABLE_START in text:
        head, rest = text.split(TABLE_START, 1)
        _, tail = rest.split(TABLE_END, 1)
        text = f"{head}{TABLE_START}\n{table}\n{TABLE_END}{tail}"
    return INLINE.sub(lambda match: (f"<!-- kt {match['notebook']} {match['what']} {match['column']} -->"
                                     f"{inline_figure(table_rows, match['notebook'], match['what'], match['column'], language)}"
                                     "<!-- /kt -->"), text)


def documents() -> dict[Path, str]:
    """Each file the tables go into, with the prefix its links to the notebooks need."""
    found = {KIT: "../", QUICKSTART: "../", README: ""}
    if README_KO.is_file():
        found[README_KO] = ""
    return found


def expected_texts() -> dict[Path, str]:
    """What the kit and the README should say, computed from the committed JSON files."""
    cell_times, steps = load_inputs()
    table_rows = rows(cell_times, steps)
    return {path: filled(path.read_text(encoding="utf-8"), path, prefix, cell_times, steps, table_rows)
            for path, prefix in documents().items()}


def filled(text: str, path: Path, prefix: str, cell_times: dict, steps: dict, table_rows: list[Row]) -> str:
    """``text``, the document at ``path``, with the table and figures in its language."""
    language = language_of(path)
    return fill(text, render_table(table_rows, cell_times, steps, prefix, language), table_rows, language)


def load_average() -> list[float] | None:
    """The machine's 1-, 5- and 15-minute load, where the system says it."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def measure_child(combinations: list[str]) -> dict:
    """In this process: ``StepTimes`` for each ``"optimizer precision"``, as JSON records."""
    from dataclasses import asdict

    from nst_extended.precision import build_models
    from nst_extended.timing import measure_step_times
    from nst_plumbing.config import quiet_tensorflow_logs

    quiet_tensorflow_logs()
    measured = {}
    for precision in sorted({combination.split()[1] for combination in combinations}):
        models = build_models(precision, verbose=False)
        for combination in combinations:
            optimizer, wanted = combination.split()
            if wanted == precision:
                measured[combination] = asdict(measure_step_times(*models, optimizer=optimizer))
    return measured


def _run_child(combinations: list[str], isa: str | None) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "ONEDNN_MAX_CPU_ISA"}
    if isa:
        env["ONEDNN_MAX_CPU_ISA"] = isa
    completed = subprocess.run([sys.executable, __file__, "measure-child", *combinations], env=env, cwd=ROOT,
                               capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def needed_combinations(root: Path = ROOT) -> list[str]:
    """The ``"optimizer precision"`` pairs the committed notebooks' estimate lines name."""
    paths = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")) + [root / "teaching" / "solutions.ipynb"]
    found = {f"{e.optimizer} {e.precision}" for path in paths if path.is_file()
             for estimates in notebook_estimates(path).values() for e in estimates}
    return sorted(found | {"adam float32", "lbfgs float32"})


def measure() -> dict:
    """Measures the step times (two child processes) and writes ``teaching/step_times.json``."""
    from nst_plumbing.device import cpu_description

    combinations = needed_combinations()
    before, started = load_average(), time.perf_counter()
    native = _run_child(combinations, None)
    emulated = _run_child(sorted({f"{c.split()[0]} float32" for c in combinations}), EMULATED_ISA)
    record = {"cpu": cpu_description(), "date": time.strftime("%Y-%m-%d"),
              "load_average_before": before, "load_average_after": load_average(),
              "seconds": round(time.perf_counter() - started, 1), "native": native, "float32_avx2": emulated}
    STEP_TIMES_FILE.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("measure", help="time one evaluation per optimiser and precision; writes teaching/step_times.json")
    table_parser = sub.add_parser("table", help="print the timing table; --write puts it into the kit and README")
    table_parser.add_argument("--write", action="store_true")
    child = sub.add_parser("measure-child", help=argparse.SUPPRESS)
    child.add_argument("combinations", nargs="+", help="'OPTIMIZER PRECISION' pairs")
    args = parser.parse_args(argv)

    if args.command == "measure-child":
        print(json.dumps(measure_child(args.combinations)))
    elif args.command == "measure":
        record = measure()
        print(f"{STEP_TIMES_FILE.relative_to(ROOT)}: {record['cpu']}, {record['seconds']} s, "
              f"load {record['load_average_before']} -> {record['load_average_after']}")
        for group in ("native", "float32_avx2"):
            for key, times in record[group].items():
                print(f"  {group:13} {key:15} {' / '.join(f'{s * 1000:.0f} ms' for s in times['seconds'])} "
                      f"at {' / '.join(map(str, times['pixels']))} px")
    else:
        try:
            texts = expected_texts()
        except (FileNotFoundError, KeyError) as error:
            print(error, file=sys.stderr)
            return 1
        cell_times, steps = load_inputs()
        print(render_table(rows(cell_times, steps), cell_times, steps))
        for path, text in texts.items():
            if args.write and text != path.read_text(encoding="utf-8"):
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
