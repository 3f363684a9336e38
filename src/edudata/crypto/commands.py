"""``edudata package …``: check a signed export package, show the platform's public signing key (Art. 25–26)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.console import Console

from edudata.config import get_settings
from edudata.crypto import signing
from edudata.crypto.package import verify_package

NAME = "package"
app = typer.Typer(help="签名数据包 / signed export packages", no_args_is_help=True)
console = Console()


def read_public_key(value: str) -> bytes:
    """A public key given as 64 hex characters, or a file holding that or a PEM public key."""
    path = Path(value)
    text = path.read_text().strip() if path.is_file() else value.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise typer.BadParameter("not an Ed25519 public key / 不是 Ed25519 公钥")
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise typer.BadParameter("expected 64 hex characters or a PEM file / 应为 64 位十六进制或 PEM 文件")
    return raw


@app.command("verify")
def verify(
    path: Path = typer.Argument(..., help="数据包目录或 zip / package directory or zip"),
    public_key: str = typer.Option(
        None, "--public-key", help="发送方公钥（十六进制或 PEM 文件）/ sender's key"
    ),
) -> None:
    """Check a package's signature and every file's SHA-256; exit 1 naming the file that fails."""
    trusted = read_public_key(public_key) if public_key else None
    check = verify_package(path, trusted)
    if not check.ok:
        console.print(f"[red]不完整 / NOT intact[/red]: {check.summary()}")
        raise typer.Exit(code=1)
    console.print(f"[green]{check.summary()}[/green]")
    if trusted is None:
        console.print(
            f"[yellow]未指定受信任公钥：请与发送方核对密钥标识 {check.key_id} / no trusted key given: "
            f"compare key id {check.key_id} with the sender's[/yellow]"
        )


@app.command("public-key")
def public_key() -> None:
    """Print this platform's signing public key (PEM) for receivers of its packages; key id on stderr."""
    raw = signing.public_key_bytes(get_settings())
    pem = Ed25519PublicKey.from_public_bytes(raw).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    sys.stdout.write(pem.decode())
    sys.stderr.write(f"key id {signing.key_id(raw)}  hex {raw.hex()}\n")
