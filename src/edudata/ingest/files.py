"""Receiving a producer's file safely (Art. 20, 23): streamed to disk under a size limit, sniffed, decoded.

Bad input is refused with a message a data officer can act on, before anything is stored: a binary file
named ``.csv``, a ZIP bomb named ``.xlsx``, a file over the limit, a text file in an encoding other than the
one chosen. CSV comes in UTF-8, UTF-8 with BOM, or GB18030/GBK (detected, or chosen by the uploader). The file
rests on disk only sealed under a key held in memory (:mod:`edudata.ingest.incoming`); it is checked and read from
its clear bytes in memory (the upload limit bounds them), so no clear copy is ever written.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edudata.errors import ValidationFailed
from edudata.ingest import incoming
from edudata.safe_text import check_filename

CHUNK = 1024 * 1024
SAMPLE = 64 * 1024
# An .xlsx is a ZIP of XML: refuse archives that expand beyond this or by a suspicious ratio (ZIP bombs).
MAX_XLSX_UNCOMPRESSED = 1024 * 1024 * 1024
MAX_XLSX_RATIO = 200
MAX_XLSX_ENTRIES = 10_000
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCODINGS = {
    "auto": None,
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "utf-16": "utf-16",
}


@dataclass(frozen=True)
class Received:
    path: Path
    filename: str
    size: int
    sha256: str
    sealed: incoming.Sealed | None = None

    def clear(self) -> bytes:
        """The file's bytes, opened from its sealed copy in memory."""
        return self.sealed.read() if self.sealed is not None else self.path.read_bytes()


Source = Path | bytes  # a file on disk, or the clear bytes of an upload in memory


def _head(source: Source, size: int = SAMPLE) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source[:size])
    with source.open("rb") as f:
        return f.read(size)


def _chunks(source: Source):  # noqa: ANN202 - an iterator of bytes
    if isinstance(source, bytes | bytearray | memoryview):
        for start in range(0, len(source), CHUNK):
            yield bytes(source[start : start + CHUNK])
        return
    with source.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def receive(read: Callable[[int], bytes], directory: Path, filename: str, limit: int) -> Received:
    """Copy a stream to ``directory`` sealed chunk by chunk (0600, a key in memory only), hashing as it goes;
    over ``limit`` nothing is kept."""
    check_filename(filename)  # the name is stored and shown: no NUL, no bidi override (edudata.safe_text)
    sealed = incoming.receive(read, directory, limit)
    return Received(sealed.path, Path(filename or "upload").name[:255], sealed.size, sealed.sha256, sealed)


def _not_text(name: str) -> ValidationFailed:
    return ValidationFailed(
        f"文件“{name}”不是文本格式的 CSV（含有二进制内容），请另存为 CSV（UTF-8）或 Excel（.xlsx）后上传",
        f"'{name}' is not a text CSV file (it holds binary content); save it as CSV (UTF-8) or Excel (.xlsx)",
        field="file",
    )


def sniff(path: Source, filename: str) -> str:
    """``csv`` or ``xlsx`` by content (the name is only a hint): a binary ``.csv`` is refused."""
    head = _head(path)
    is_zip = head.startswith(b"PK\x03\x04")
    if filename.lower().endswith((".xlsx", ".xlsm")) or is_zip:
        if not is_zip:
            raise ValidationFailed(
                f"文件“{filename}”不是有效的 Excel（.xlsx）文件",
                f"'{filename}' is not a valid .xlsx file",
                field="file",
            )
        check_xlsx_archive(path, filename)
        return "xlsx"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"  # Excel's "Unicode text" (UTF-16 with BOM, tab-separated) holds NUL bytes by nature
    if head.startswith(OLE) and filename.lower().endswith(".xls"):
        return "xls"  # a legacy Excel 97-2003 workbook (an OLE compound file)
    if b"\x00" in head or head.startswith((OLE, b"%PDF", b"\x1f\x8b", b"\x89PNG")):
        raise _not_text(filename)
    return "csv"


def check_xlsx_archive(path: Source, filename: str) -> None:
    """Refuse ZIP bombs and archives that are no workbook, reading only the ZIP directory."""
    try:
        with zipfile.ZipFile(path if isinstance(path, Path) else io.BytesIO(path)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise ValidationFailed(
            f"文件“{filename}”已损坏或不是有效的 Excel 文件",
            f"'{filename}' is damaged or not an Excel file",
            field="file",
        ) from None
    total = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1)
    if len(infos) > MAX_XLSX_ENTRIES or total > MAX_XLSX_UNCOMPRESSED or total / packed > MAX_XLSX_RATIO:
        raise ValidationFailed(
            f"文件“{filename}”解压后异常庞大（{total // (1024 * 1024)} MB，压缩比 {total // packed}:1），疑为压缩炸弹，已拒绝",
            f"'{filename}' expands to {total // (1024 * 1024)} MB (ratio {total // packed}:1): a suspected ZIP bomb, refused",
            field="file",
        )
    if "xl/workbook.xml" not in {i.filename for i in infos}:
        raise ValidationFailed(
            f"文件“{filename}”不是 Excel 工作簿", f"'{filename}' is not an Excel workbook", field="file"
        )


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Source, chosen: str | None, filename: str) -> str:
    """The encoding to read with: the uploader's choice, checked against the bytes, or detected."""
    key = (chosen or "auto").lower().replace("_", "-")
    if key not in ENCODINGS:
        raise ValidationFailed(
            "编码应为 auto、utf-8、gbk、gb18030 或 utf-16 之一",
            "encoding must be auto, utf-8, gbk, gb18030 or utf-16",
            field="encoding",
        )
    head = _head(path)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # the BOM says so, whatever was chosen (Excel's "Unicode text")
    utf8 = _decodes(head, "utf-8")
    if head.startswith(codecs.BOM_UTF8):
        detected = "utf-8-sig"
    elif utf8:
        detected = "utf-8"
    elif _decodes(head, "gb18030"):
        detected = "gb18030"
    else:
        raise _not_text(filename)
    wanted = ENCODINGS[key]
    if wanted == "utf-16":  # UTF-16 with its BOM returned above; without one the byte order is a guess
        raise ValidationFailed(
            f"文件“{filename}”不是带 BOM 的 UTF-16 文本，请选择自动识别",
            f"'{filename}' is not UTF-16 text with a byte-order mark; choose auto",
            field="encoding",
        )
    if wanted is None:
        return detected
    if wanted.startswith("utf-8") and detected == "gb18030":
        raise ValidationFailed(
            f"文件“{filename}”不是 UTF-8 编码（看起来是 GBK/GB18030），请选择 GBK 编码或另存为 UTF-8 后重新上传；未保存任何内容",
            f"'{filename}' is not UTF-8 (it looks like GBK/GB18030); choose GBK or save it as UTF-8 and upload "
            "again. Nothing was stored",
            field="encoding",
        )
    if wanted == "gb18030" and detected.startswith("utf-8") and not head.isascii():
        raise ValidationFailed(
            f"文件“{filename}”是 UTF-8 编码，而非所选的 GBK，按 GBK 读取会产生乱码；请选择 UTF-8 或自动识别",
            f"'{filename}' is UTF-8, not the GBK you chose; reading it as GBK would garble it. Choose UTF-8 or auto",
            field="encoding",
        )
    return detected if wanted.startswith("utf-8") else wanted


def _cr_only(path: Source) -> bool:
    """Classic Mac line endings (CR alone): Polars and the csv module would read the file as one line."""
    head = _head(path)
    return b"\r" in head and b"\n" not in head.replace(b"\x00", b"")


def to_utf8(path: Source, encoding: str, filename: str) -> Source:
    """UTF-8 with LF or CRLF line ends Polars can read: the same file or bytes when they already are, otherwise
    transcoded chunk by chunk (GBK, UTF-16), CR-only line ends becoming LF — a new file next to a file, new bytes
    for bytes (an upload is never written back in clear).

    A file whose later bytes break the encoding (the sample looked fine) is refused as a wrong encoding.
    """
    cr_only = _cr_only(path) if encoding != "utf-16" else False
    if encoding == "utf-16":
        cr_only = _cr_only_text(_head(path).decode("utf-16", errors="ignore"))
    if encoding in ("utf-8", "utf-8-sig") and not cr_only:
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in _chunks(path):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise _wrong_encoding(filename, encoding) from None
        return path
    decoder = codecs.getincrementaldecoder("utf-8-sig" if encoding.startswith("utf-8") else encoding)()
    in_memory = not isinstance(path, Path)
    out = None if in_memory else path.with_suffix(path.suffix + ".utf8")
    parts: list[bytes] = []
    try:
        with contextlib.ExitStack() as stack:
            w = None if out is None else stack.enter_context(out.open("w", encoding="utf-8", newline=""))
            for chunk in _chunks(path):
                text = decoder.decode(chunk)
                text = text.replace("\r", "\n") if cr_only else text
                parts.append(text.encode()) if w is None else w.write(text)
            tail = decoder.decode(b"", final=True)
            parts.append(tail.encode()) if w is None else w.write(tail)
    except UnicodeDecodeError:
        if out is not None:
            out.unlink(missing_ok=True)
        raise _wrong_encoding(filename, encoding) from None
    return b"".join(parts) if out is None else out


def _cr_only_text(text: str) -> bool:
    return "\r" in text and "\n" not in text


def _wrong_encoding(filename: str, encoding: str) -> ValidationFailed:
    return ValidationFailed(
        f"文件“{filename}”中有不符合 {encoding} 编码的内容，请确认文件编码后重新上传；未保存任何内容",
        f"'{filename}' holds bytes that are not valid {encoding}; check the file's encoding and upload again. "
        "Nothing was stored",
        field="encoding",
    )
