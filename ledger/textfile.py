"""Opening an input file as text: UTF-8 or UTF-16/32 by BOM, a codec by name, or detection.

Excel in China saves CSV as GBK (or UTF-16 for "Unicode text"); a badge gateway may write
anything. The rules, in order (README, "Foreign files"):

1. ``encoding`` given: any codec Python knows (``gbk``, ``gb18030``, ``big5`` ...); the
   whole file must decode with it.
2. A byte order mark: UTF-8 (removed), UTF-16 or UTF-32 (either byte order).
3. Valid UTF-8: UTF-8.
4. Otherwise ``charset-normalizer`` judges the first ``SAMPLE`` bytes: its answer is used
   when every best-scoring candidate decodes them alike; when they disagree (short CJK
   text often fits GB18030, Big5, CP949 and Shift-JIS equally), GB18030 is chosen if it is
   among the plausible ones (mainland Windows and Excel write it). The choice is used only
   if the whole file decodes with it, and the caller is told which it was.
5. Otherwise the file is refused, naming the first byte that is not UTF-8 and its line.
"""

from __future__ import annotations

import codecs
import io
import shutil
import sys
import tempfile
from dataclasses import dataclass
from typing import IO

from charset_normalizer import from_bytes

from ledger.errors import ImportRejected, UsageError

__all__ = ["SAMPLE", "TextFile", "open_text"]

SAMPLE = 1 << 20
"""Bytes the detector reads (it reads them all into memory; the decision needs no more)."""
_CHUNK = 1 << 20
_NEAR = 0.05
"""How much more noise (charset-normalizer's chaos, 0-1) than the best GB18030 may show."""
_EAST_ASIAN = frozenset(
    codecs.lookup(name).name
    for name in (
        "gb18030", "gbk", "gb2312", "hz", "big5", "big5hkscs", "cp950", "cp949", "euc_kr",
        "johab", "iso2022_kr", "shift_jis", "cp932", "euc_jp", "iso2022_jp",
        "shift_jis_2004", "shift_jisx0213", "euc_jis_2004", "euc_jisx0213",
    )
)
"""The multi-byte codecs of Chinese, Japanese and Korean text (as Python names them)."""
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True, slots=True)
class TextFile:
    """An input opened as text.

    Attributes:
        stream: the text (seekable; newlines untranslated, as the csv module wants).
        encoding: the codec it is decoded with.
        how: ``"given"``, ``"bom"``, ``"utf-8"`` or ``"detected"``.
    """

    stream: IO[str]
    encoding: str
    how: str


def open_text(path: str, encoding: str | None = None) -> TextFile:
    """Open ``path`` (``-``: standard input, copied to a temporary file) as text.

    Raises:
        UsageError: ``encoding`` is not a codec Python knows.
        ImportRejected: the file cannot be read, or does not decode (naming the byte
            offset and line, and suggesting ``--encoding``).
    """
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise UsageError(
                f"--encoding: unknown encoding {encoding!r} (e.g. utf-8, gb18030, big5, utf-16)"
            ) from None
    raw = _open_binary(path)
    try:
        return _decoded(raw, path, encoding)
    except BaseException:
        raw.close()
        raise


def _open_binary(path: str) -> IO[bytes]:
    if path == "-":
        # Standard input is read whole before a line is parsed (so that the encoding is
        # found and a decoding error is reported first): keep a copy; the caller closes it.
        copy = tempfile.TemporaryFile()  # noqa: SIM115
        shutil.copyfileobj(sys.stdin.buffer, copy)
        copy.seek(0)
        return copy
    try:
        return open(path, "rb")
    except OSError as exc:
        raise ImportRejected(path, 0, f"cannot read: {exc.strerror or exc}") from None


def _decoded(raw: IO[bytes], source: str, encoding: str | None) -> TextFile:
    how = "given"
    if encoding is None:
        head = raw.read(4)
        raw.seek(0)
        bom = next((name for mark, name in _BOMS if head.startswith(mark)), None)
        if bom is not None:
            encoding, how = bom, "bom"
        else:
            bad = _first_error(raw, "utf-8")
            if bad is None:
                return TextFile(_text(raw, "utf-8"), "utf-8", "utf-8")
            detected = _detect(raw)
            if detected is None or _first_error(raw, detected) is not None:
                offset, reason = bad
                raise ImportRejected(
                    source,
                    _line_at(raw, offset),
                    f"not valid UTF-8 at byte offset {offset} ({reason}), and its encoding "
                    "could not be recognised; name it, e.g. --encoding gb18030 (Chinese), "
                    "--encoding big5, --encoding utf-16",
                )
            return TextFile(_text(raw, detected), detected, "detected")
    bad = _first_error(raw, encoding)
    if bad is not None:
        offset, reason = bad
        raise ImportRejected(
            source,
            _line_at(raw, offset, encoding),
            f"not valid {encoding} at byte offset {offset} ({reason})",
        )
    return TextFile(_text(raw, encoding), encoding, how)


def _text(raw: IO[bytes], encoding: str) -> IO[str]:
    return io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")


def _first_error(raw: IO[bytes], encoding: str) -> tuple[int, str] | None:
    """``(byte offset, reason)`` of the first byte ``encoding`` cannot decode, else ``None``."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    raw.seek(0)
    offset = 0
    try:
        while chunk := raw.read(_CHUNK):
            # The decoder holds back the bytes of an incomplete sequence; an error's start
            # counts from the first of them.
            pending = _pending(decoder)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start, exc.reason
            offset += len(chunk)
        pending = _pending(decoder)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return offset - pending + exc.start, exc.reason
        return None
    finally:
        raw.seek(0)


def _pending(decoder: codecs.IncrementalDecoder) -> int:
    state = decoder.getstate()[0]
    return len(state) if isinstance(state, bytes) else 0


def _detect(raw: IO[bytes]) -> str | None:
    """charset-normalizer's answer when it is unambiguous, except that GB18030 wins over
    another East Asian codec it is about as plausible as."""
    sample = raw.read(SAMPLE)
    raw.seek(0)
    results = list(from_bytes(sample))
    if not results:
        return None
    best = min(r.chaos for r in results)
    tied = [r for r in results if r.chaos <= best + 1e-9]
    # Short Chinese texts leave several East Asian codecs plausible, and one of them may
    # even look cleaner: GBK bytes for 对顾客态度冷淡 read as Korean (cp949) without noise,
    # as nonsense Hangul and Hanja. The ledger's company is in mainland China, whose
    # Windows and Excel write GB18030 (GBK): when the best readings are all East Asian
    # codecs, prefer it if it is about as plausible, rather than store the text garbled in
    # an append-only log.
    if {_codec(r.encoding) for r in tied} <= _EAST_ASIAN and any(
        _codec(r.encoding) == "gb18030" and r.chaos <= best + _NEAR for r in results
    ):
        return "gb18030"
    if len({str(r) for r in tied}) == 1:
        return _codec(tied[0].encoding)
    return None


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _line_at(raw: IO[bytes], offset: int, encoding: str = "utf-8") -> int:
    """The 1-based line of byte ``offset`` (the text before it, decoded, counted)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="ignore")
    raw.seek(0)
    remaining = offset
    lines = 1
    while remaining > 0 and (chunk := raw.read(min(_CHUNK, remaining))):
        lines += decoder.decode(chunk).count("\n")
        remaining -= len(chunk)
    raw.seek(0)
    return lines
