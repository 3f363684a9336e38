"""``edudata audit witness …``: a witness with its own key and state file, apart from the database (Art. 59)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from edudata.audit import note
from edudata.audit.witness import Witness, create_key, load_key, parse_vkey, serve

app = typer.Typer(help="见证方 / witness: cosigns the log's checkpoints", no_args_is_help=True)
console = Console()


def _fail(zh: str, en: str) -> None:
    console.print(f"[red]错误 / error[/red]: {zh} / {en}")
    raise typer.Exit(code=2)


@app.command("init")
def init(
    name: str = typer.Option(..., help="见证方名称 / the witness's name (e.g. witness.example.edu)"),
    key: Path = typer.Option(..., help="私钥文件（新建）/ private key file to create"),
) -> None:
    """Create the witness's key (mode 0600) and print its verifier key for EDUDATA_AUDIT_WITNESSES."""
    try:
        private = create_key(key)
        note.check_name(name)
    except FileExistsError:
        _fail(f"{key} 已存在，不会覆盖", f"{key} exists; not overwritten")
    except note.NoteError as err:
        _fail("名称不合法", str(err))
    console.print(
        note.vkey(name, note.raw_public(private), note.COSIGNATURE_V1), markup=False, highlight=False
    )


@app.command("serve")
def serve_command(
    name: str = typer.Option(..., help="见证方名称 / the witness's name"),
    key: Path = typer.Option(..., help="私钥文件 / private key file (witness init)"),
    state: Path = typer.Option(..., help="状态文件 / state file (created on first cosignature)"),
    log: list[str] = typer.Option(
        ..., help="所见证日志的公钥 / the log's verifier key (edudata audit public-key)"
    ),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(7380),
) -> None:
    """Serve C2SP add-checkpoint (and latest/history) for the given logs until stopped."""
    logs = {}
    for text in log:
        try:
            origin, public_key, kind = parse_vkey(text)
        except note.NoteError as err:
            _fail("日志公钥不合法", str(err))
        if kind != note.ED25519:
            _fail("日志公钥须为 Ed25519", "the log's key must be an Ed25519 verifier key")
        logs[origin] = public_key
    witness = Witness(name, load_key(key), state, logs)
    server = serve(witness, host, port)
    console.print(f"见证方 / witness {name} on http://{host}:{server.server_address[1]} ({witness.vkey})")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
