"""Decompression bombs for the tests: small PNG files that decode to huge pictures."""

import struct
import zlib
from pathlib import Path


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def write_bomb(path: Path, width: int = 20000, height: int = 20000) -> Path:
    """Writes a valid all-black 1-bit PNG of ``width`` x ``height`` pixels (about 50 KB for 20000x20000)."""
    row = b"\0" * (1 + (width + 7) // 8)  # filter byte, then one bit per pixel
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale, no interlace
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data)
                           + _chunk(b"IEND", b""))
    return Path(path)
