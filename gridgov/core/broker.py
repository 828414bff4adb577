"""The embedded broker: kombu's filesystem transport, with each message written whole before a
worker can see it.

kombu's own transport creates the message file under its final name and then writes into it; a
worker polling the folder in between moves the empty file away, cannot decode it and stops
("Unrecoverable error", seen under load in a review). Here the message is written under a name
no queue matches and renamed into place, which is atomic on one file system. Production uses
Redis and does not load this module.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = f"{final}.partial"  # a queue's messages end in ".<queue>.msg": never this
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
