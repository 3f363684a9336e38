"""C2SP signed notes, checkpoints and cosignatures (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature).

A checkpoint is the text ``<origin>\\n<size>\\n<base64 root>\\n`` plus extension lines, signed by the log's
Ed25519 key as a note: the text, a blank line, and ``— <name> base64(key id ‖ signature)``. A witness adds its
own line (a ``cosignature/v1`` with the time it cosigned). Any C2SP tool can check them with the public keys,
so an auditor need not trust this code (Art. 59 防篡改).
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DASH = "\u2014"
ED25519 = 0x01
COSIGNATURE_V1 = 0x04


class NoteError(ValueError):
    """A note, checkpoint or signature that does not parse or verify."""


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, public_key: bytes, kind: int = ED25519) -> bytes:
    """The 4-byte key hash: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public_key).digest()[:4]


def vkey(name: str, public_key: bytes, kind: int = ED25519) -> str:
    """The verifier key text ``<name>+<hex key id>+<base64(type ‖ key)>`` that C2SP tools take."""
    encoded = base64.b64encode(bytes([kind]) + public_key).decode()
    return f"{name}+{key_id(name, public_key, kind).hex()}+{encoded}"


def check_name(name: str) -> str:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteError(f"invalid key name {name!r}: non-empty, no spaces, no '+'")
    return name


def signature_line(name: str, payload: bytes) -> str:
    return f"{DASH} {name} {base64.b64encode(payload).decode()}\n"


def sign(text: str, name: str, key: Ed25519PrivateKey) -> str:
    """``text`` (ending in a newline) as a note signed by ``key`` under ``name``."""
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    payload = key_id(check_name(name), raw_public(key)) + key.sign(text.encode())
    return text + "\n" + signature_line(name, payload)


@dataclass
class Signature:
    name: str
    key_hash: bytes
    payload: bytes  # after the key hash


@dataclass
class Note:
    text: str
    signatures: list[Signature] = field(default_factory=list)

    def line(self, sig: Signature) -> str:
        return signature_line(sig.name, sig.key_hash + sig.payload)

    def encode(self) -> str:
        return self.text + "\n" + "".join(self.line(s) for s in self.signatures)


def parse(note: str) -> Note:
    """Split a note into its text and signature lines (not yet verified)."""
    text, sep, sigs = note.rpartition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise NoteError("not a signed note")
    parsed = Note(text + "\n")
    for line in sigs[:-1].split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise NoteError("malformed signature line")
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except ValueError:
            raise NoteError("signature is not base64") from None
        if len(raw) < 5:
            raise NoteError("signature too short")
        parsed.signatures.append(Signature(parts[1], raw[:4], raw[4:]))
    return parsed


def _verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify(note: str, name: str, public_key: bytes) -> Note:
    """The note, if it carries a valid Ed25519 signature by ``public_key`` under ``name``; else NoteError."""
    parsed = parse(note)
    kid = key_id(name, public_key)
    for sig in parsed.signatures:
        if sig.name == name and sig.key_hash == kid and len(sig.payload) == 64:
            if _verify(public_key, sig.payload, parsed.text.encode()):
                return parsed
            raise NoteError("the log's signature is invalid")
    raise NoteError("no signature by the log's key")


def cosignature_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def cosign(text: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """A witness's cosignature/v1 line over checkpoint ``text`` at ``timestamp`` (Unix seconds)."""
    kid = key_id(check_name(name), raw_public(key), COSIGNATURE_V1)
    signature = key.sign(cosignature_message(text, timestamp))
    return signature_line(name, kid + struct.pack(">Q", timestamp) + signature)


def verify_cosignature(note: str, name: str, public_key: bytes) -> int:
    """The time a witness ``name`` cosigned ``note``'s text, if its cosignature is valid; else NoteError."""
    parsed = parse(note)
    kid = key_id(name, public_key, COSIGNATURE_V1)
    for sig in parsed.signatures:
        if sig.name == name and sig.key_hash == kid and len(sig.payload) == 72:
            timestamp = struct.unpack(">Q", sig.payload[:8])[0]
            if _verify(public_key, sig.payload[8:], cosignature_message(parsed.text, timestamp)):
                return timestamp
            raise NoteError("the witness's cosignature is invalid")
    raise NoteError("no cosignature by that witness")


@dataclass(frozen=True)
class Checkpoint:
    """The tree head a checkpoint states: origin, size, root, the time and the epoch (extension lines)."""

    origin: str
    size: int
    root: bytes
    time: int = 0
    epoch: int = 1
    base: int = 0  # position of the epoch's first leaf in the whole log (positions are never reused)

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), f"time {self.time}"]
        if self.epoch != 1 or self.base:
            lines.append(f"epoch {self.epoch} base {self.base}")
        return "\n".join(lines) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint has at least three lines")
    origin, size, root_b64, *extensions = lines[:-1]
    if not size.isdigit() or (size != "0" and size.startswith("0")):
        raise NoteError("tree size is not a decimal number")
    try:
        root_hash = base64.b64decode(root_b64, validate=True)
    except ValueError:
        raise NoteError("root hash is not base64") from None
    if len(root_hash) != 32:
        raise NoteError("root hash is not 32 bytes")
    time_, epoch, base = 0, 1, 0
    for ext in extensions:
        words = ext.split(" ")
        if len(words) == 2 and words[0] == "time" and words[1].isdigit():
            time_ = int(words[1])
        elif len(words) == 4 and words[0] == "epoch" and words[2] == "base":
            if not (words[1].isdigit() and words[3].isdigit()):
                raise NoteError("malformed epoch line")
            epoch, base = int(words[1]), int(words[3])
    return Checkpoint(origin, int(size), root_hash, time_, epoch, base)
