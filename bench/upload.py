"""Benchmark of reading one big uploaded workbook: GridGov's streaming reader against loading it
whole, in the same run.

    .venv/bin/python bench/upload.py [--rows 400000] [--limit 10000]

Builds the workbook of issue 13 (a district export of ``--rows`` rows, five columns, about
10 MB) as Excel writes it (with the sheet's ``<dimension>``), then reads it three ways, each in a
fresh Python process so that its peak memory is its own:

- ``whole``: what the import did before: ``openpyxl.load_workbook`` in normal mode, then every
  row counted (the row limit can only be checked after this);
- ``stream``: a bare baseline: openpyxl in read-only mode, every row counted, no ceiling;
- ``gridgov``: :func:`gridgov.core.uploads.open_table` with the import's ceilings
  (``--limit`` rows): it stops at the first ceiling passed and refuses the file. Run twice:
  on Excel's file, and on the same file without ``<dimension>`` (as openpyxl's write-only mode
  writes it), which openpyxl parses whole once before the first row.

Prints, per way: wall time, rows read, the outcome, and the process's peak resident memory.
Nothing touches a database: the reader runs in the worker, outside any transaction (the tests
in ``gridgov/hotline/tests/test_import_limits.py`` check that other writers go on meanwhile).
See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["工单编号", "来电时间", "诉求类型", "诉求内容", "联系电话"]


def build(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("工单")
    sheet.append(HEADER)
    for n in range(rows):
        sheet.append([f"BH{n:08d}", "2026-03-05 10:00", "咨询", f"第{n}条诉求：小区门口路灯不亮", "13812348888"])
    book.save(path)


def add_dimension(source: Path, target: Path, rows: int) -> None:
    """A copy of ``source`` whose first sheet declares its size, as Excel writes it."""
    import zipfile

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                head, sep, tail = data.partition(b"<sheetData")
                for anchor in (b"<sheetViews", b"<sheetFormatPr", b"<cols"):
                    if anchor in head:
                        head = head.replace(anchor, f'<dimension ref="A1:E{rows + 1}"/>'.encode() + anchor, 1)
                        break
                else:
                    head += f'<dimension ref="A1:E{rows + 1}"/>'.encode()
                data = head + sep + tail
            new.writestr(info, data)


def peak_resident_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not carried over from the
    parent through fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read(way: str, path: Path, limit: int) -> dict[str, object]:
    """One way of reading, in this process; the figures as a dict."""
    started = time.perf_counter()
    count = 0
    outcome = "read"
    if way == "whole":
        from openpyxl import load_workbook

        book = load_workbook(path)
        for _row in book.worksheets[0].iter_rows(values_only=True):
            count += 1
        outcome = "refused after reading" if count > limit else "read"
    elif way == "stream":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        for _row in book.worksheets[0].iter_rows(values_only=True):
            count += 1
        book.close()
    else:
        import django
        from django.conf import settings

        settings.configure(USE_I18N=False)
        django.setup()
        from gridgov.core import uploads

        limits = uploads.UploadLimits(max_rows=limit)
        with path.open("rb") as handle:
            uploads.check_upload(path.name, path.stat().st_size, limits)
            uploads.check_workbook(handle, limits)
            try:
                with uploads.open_table(handle, path.name, limits) as table:
                    for _row in table.rows():
                        count += 1
            except uploads.UploadRefused as refusal:
                outcome = f"refused: {refusal.message}"
    seconds = time.perf_counter() - started
    peak_mb = peak_resident_mb()
    return {"way": way, "seconds": seconds, "rows": count, "outcome": outcome, "peak_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--limit", type=int, default=10_000, help="the import's row ceiling")
    parser.add_argument("--way", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.way:  # a child process: one way, figures as JSON on stdout
        print(json.dumps(read(args.way, Path(args.file), args.limit)))
        return

    with tempfile.TemporaryDirectory() as workdir:
        bare = Path(workdir) / "write-only.xlsx"
        excel = Path(workdir) / "district-export.xlsx"
        started = time.perf_counter()
        build(bare, args.rows)
        add_dimension(bare, excel, args.rows)
        size_mb = excel.stat().st_size / 1024 / 1024
        print(f"workbook: {args.rows:,} rows, {size_mb:.1f} MB, built in {time.perf_counter() - started:.1f} s")
        print(f"{'way':<8} {'file':<14} {'seconds':>8} {'rows read':>10} {'peak MB':>8}  outcome")
        for way, path, label in (
            ("whole", excel, "Excel's"),
            ("stream", excel, "Excel's"),
            ("gridgov", excel, "Excel's"),
            ("gridgov", bare, "no dimension"),
        ):
            child = subprocess.run(
                [sys.executable, __file__, "--way", way, "--file", str(path), "--limit", str(args.limit)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
                env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            )
            row = json.loads(child.stdout.strip().splitlines()[-1])
            print(
                f"{row['way']:<8} {label:<14} {row['seconds']:>8.2f} {row['rows']:>10,} {row['peak_mb']:>8.0f}"
                f"  {row['outcome']}"
            )


if __name__ == "__main__":
    main()
