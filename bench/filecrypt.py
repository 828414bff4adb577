"""Benchmark of the encrypted file storage: saving and opening a photo and a workbook through
:class:`gridgov.core.filecrypt.EncryptedFileSystemStorage` beside Django's plain
``FileSystemStorage`` (the bare baseline), in the same run, on the same disk.

    .venv/bin/python bench/filecrypt.py [--rounds 30]

Files: a 3 MB camera-sized JPEG-like payload (random bytes: incompressible, like a photo), a
30 kB thumbnail and a 10 MB workbook (the import's ceiling). Prints per file and storage the
median milliseconds to save and to open-and-read, and the bytes on disk. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django  # noqa: E402

django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import FileSystemStorage  # noqa: E402

from gridgov.core.filecrypt import EncryptedFileSystemStorage  # noqa: E402

FILES = {"thumbnail 30 kB": 30_000, "photo 3 MB": 3_000_000, "workbook 10 MB": 10_000_000}


def measure(storage: FileSystemStorage, payload: bytes, rounds: int) -> tuple[float, float, int]:
    saves, opens = [], []
    size = 0
    for n in range(rounds):
        started = time.perf_counter()
        name = storage.save(f"bench/{n}.bin", ContentFile(payload))
        saves.append(time.perf_counter() - started)
        started = time.perf_counter()
        with storage.open(name) as handle:
            data = handle.read()
        opens.append(time.perf_counter() - started)
        assert data == payload
        size = os.path.getsize(storage.path(name))
        storage.delete(name)
    return statistics.median(saves) * 1000, statistics.median(opens) * 1000, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        storages = {
            "plain (baseline)": FileSystemStorage(location=folder),
            "encrypted": EncryptedFileSystemStorage(location=folder),
        }
        print(f"{'file':<16} {'storage':<18} {'save ms':>8} {'open+read ms':>13} {'bytes on disk':>14}")
        for label, length in FILES.items():
            payload = os.urandom(length)
            for name, storage in storages.items():
                save, read, size = measure(storage, payload, options.rounds)
                print(f"{label:<16} {name:<18} {save:>8.2f} {read:>13.2f} {size:>14,}")


if __name__ == "__main__":
    main()
