"""The RTP path's binary media journal (``media.rtpj``): every recorded RTP packet and the room's recording events, in
the order the event loop saw them. Written by :class:`~videoatencion_media.rtp_recording.RtpRoomRecorder`, read by the
remux (``remux.py``).

Layout: the 8-byte :data:`MAGIC`, then chunks. A chunk is what the recorder's writer thread wrote in one ``writev``:
a 12-byte header (``b"CHNK"``, payload length u32, CRC-32 of the payload u32, little-endian) and a payload of whole
records. A record is a 14-byte header (arrival ``time.time()`` f64, participant index u16, kind u8, flags u8, length
u16) and ``length`` bytes:

- :data:`KIND_AUDIO` / :data:`KIND_VIDEO`: one decrypted RTP packet as the participant sent it (Opus / VP8); flag
  :data:`FLAG_KEYFRAME` on a video packet that starts a VP8 keyframe;
- :data:`KIND_CONTROL`: a JSON object with an ``op``: ``participant`` (declares the record's participant index:
  ``participant_id``, ``role``, ``name``; again with the same index when role and name become known),
  ``new_segment``, ``event`` (``event``, ``t``), ``chat`` (``participant_id``, ``name``, ``text``, ``at``).

The CRC is per chunk so that the event loop does nothing per packet but append a header and the bytes. A reader stops
at the first chunk that is incomplete or does not check (the torn end a crash leaves); a reader following a growing
file tries that chunk again later.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Final, NamedTuple

MAGIC: Final = b"VARTPJ1\n"
CHUNK: Final = struct.Struct("<4sII")
CHUNK_TAG: Final = b"CHNK"
RECORD: Final = struct.Struct("<dHBBH")
KIND_AUDIO: Final = 1
KIND_VIDEO: Final = 2
KIND_CONTROL: Final = 3
KIND_NAMES: Final = {KIND_AUDIO: "audio", KIND_VIDEO: "video"}
FLAG_KEYFRAME: Final = 0x01
MAX_RECORD_BYTES: Final = 0xFFFF
# A chunk claiming more than this is not one (a torn or overwritten header), whatever its CRC.
MAX_CHUNK_BYTES: Final = 1 << 28


class Record(NamedTuple):
    offset: int  # of the record's header in the file: its identity across remux runs
    arrival: float
    participant: int  # the participant index
    kind: int
    flags: int
    data: bytes


def chunk_header(payload: bytes | bytearray) -> bytes:
    return CHUNK.pack(CHUNK_TAG, len(payload), zlib.crc32(payload))


class MediaJournalReader:
    """Reads the records of the complete chunks of a media journal, from where the previous read stopped."""

    def __init__(self, path: Path) -> None:
        self._file: IO[bytes] = path.open("rb")
        self.offset = 0  # the next chunk's, once the magic is read
        self.records = 0

    def close(self) -> None:
        self._file.close()

    def read(self) -> Iterator[Record]:
        """The records of the chunks complete and valid now; stops at the first that is not (retried next time)."""
        if self.offset == 0:
            self._file.seek(0)
            if self._file.read(len(MAGIC)) != MAGIC:
                return
            self.offset = len(MAGIC)
        while True:
            self._file.seek(self.offset)
            header = self._file.read(CHUNK.size)
            if len(header) < CHUNK.size:
                return
            tag, length, crc = CHUNK.unpack(header)
            if tag != CHUNK_TAG or length > MAX_CHUNK_BYTES:
                return
            payload = self._file.read(length)
            if len(payload) < length or zlib.crc32(payload) != crc:
                return
            base = self.offset + CHUNK.size
            self.offset = base + length
            yield from self._records(payload, base)

    def _records(self, payload: bytes, base: int) -> Iterator[Record]:
        pos = 0
        end = len(payload)
        while pos + RECORD.size <= end:
            arrival, index, kind, flags, length = RECORD.unpack_from(payload, pos)
            start = pos + RECORD.size
            if start + length > end:
                return  # cannot happen in a chunk that checks; never read past it
            self.records += 1
            yield Record(base + pos, arrival, index, kind, flags, payload[start : start + length])
            pos = start + length
