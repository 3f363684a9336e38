"""``edudata package …``: check a signed export package, open a sealed one, make a recipient key, show the
platform's public signing key (Art. 25–26)."""

from __future__ import annotations

import os
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


@app.command("keygen")
def keygen(
    out: Path = typer.Option(..., "--out", help="私钥文件（PEM，仅本人可读）/ private key file to write"),
) -> None:
    """Make a recipient key pair (X25519): the private key to OUT (mode 600), the public key on stdout to
    register on the platform's package-key page (Art. 26)."""
    from edudata.crypto.recipient import generate_private_key, key_id

    pem, public = generate_private_key()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    sys.stdout.write(public.hex() + "\n")
    sys.stderr.write(f"key id {key_id(public)}; private key in {out}\n")


@app.command("open")
def open_package(
    path: Path = typer.Argument(..., help="加密数据包 / sealed package (.zip.sealed)"),
    key: Path = typer.Option(..., "--key", help="接收方私钥（PEM）/ recipient's private key"),
    out: Path = typer.Option(..., "--out", help="解密后的数据包（zip）/ where to write the opened package"),
    public_key: str = typer.Option(
        None, "--public-key", help="发送方公钥（十六进制或 PEM 文件）/ sender's key"
    ),
) -> None:
    """Decrypt a sealed package with the recipient's private key, then check its signature and every file's
    SHA-256; exit 1 when it does not open or is not intact (Art. 25–26)."""
    from edudata.crypto.recipient import open_file
    from edudata.errors import EduDataError

    trusted = read_public_key(public_key) if public_key else None
    try:
        open_file(path, key.read_bytes(), out)
    except (EduDataError, FileExistsError, OSError) as err:
        message = f"{err.zh} / {err.en}" if isinstance(err, EduDataError) else str(err)
        console.print(f"[red]无法打开 / cannot open[/red]: {message}")
        raise typer.Exit(code=1) from None
    check = verify_package(out, trusted)
    if not check.ok:
        out.unlink(missing_ok=True)
        console.print(f"[red]不完整 / NOT intact[/red]: {check.summary()}")
        raise typer.Exit(code=1)
    console.print(f"[green]已解密 / opened: {out}[/green] — {check.summary()}")
