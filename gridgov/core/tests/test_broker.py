"""The embedded broker writes a message whole before a worker can take it."""

from __future__ import annotations

from pathlib import Path

from kombu import Connection


def test_a_message_appears_whole_and_a_partial_file_is_never_taken(tmp_path: Path) -> None:
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(tmp_path / "control"),  # else kombu writes ./control/ where pytest runs
        "store_processed": False,
    }
    with Connection("filesystem://", transport="gridgov.core.broker:Transport", transport_options=options) as conn:
        queue = conn.SimpleQueue("work")
        # What another process is still writing: a name no queue matches.
        (folder / "1_x.work.msg.partial").write_bytes(b"")
        queue.put({"n": 1})
        assert sorted(path.suffix for path in folder.iterdir()) == [".msg", ".partial"]
        message = queue.get(timeout=1)
        assert message.payload == {"n": 1}
        message.ack()
        queue.close()
    assert [path.name for path in folder.iterdir()] == ["1_x.work.msg.partial"]
