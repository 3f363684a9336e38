"""``edudata …`` — the command line for the office's IT staff (Typer + Rich).

Domains add their own command groups in ``<domain>/commands.py`` (a Typer app named ``app`` and a ``NAME``).
"""

from __future__ import annotations

import importlib
import importlib.util

import typer
from rich.console import Console

from edudata.config import get_settings
from edudata.errors import EduDataError
from edudata.schema import DOMAINS

app = typer.Typer(help="EduData 教育数据治理平台 / education-data governance platform", no_args_is_help=True)
db_app = typer.Typer(help="数据库 / database schema", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()


def fail(err: EduDataError) -> None:
    """Print a typed error in both languages and exit non-zero, never with a traceback."""
    console.print(f"[red]错误 / error[/red]: {err.zh} / {err.en}")
    raise typer.Exit(code=2)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema (Alembic) and load reference data such as code sets."""
    from edudata.db import Database
    from edudata.migrate import upgrade
    from edudata.reference import seed_reference_data

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url()
    upgrade(url)
    db = Database(url)
    with db.session() as session:
        seed_reference_data(session)
        from edudata.identity.totp import seal_clear_seeds

        sealed = seal_clear_seeds(session, settings)  # seeds stored in clear by older versions (Art. 27)
        session.commit()
    db.dispose()
    if sealed:
        console.print(f"已加密 {sealed} 个动态验证码密钥 / sealed {sealed} second-factor seeds")
    console.print(f"[green]数据库已是最新 / schema up to date[/green]: {url.split('@')[-1]}")


@app.command()
def serve(
    host: str = typer.Option(None, help="listen address"),
    port: int = typer.Option(None, help="port"),
    certfile: str = typer.Option(None, help="TLS certificate (PEM); serve HTTPS when given"),
    keyfile: str = typer.Option(None, help="TLS private key (PEM)"),
) -> None:
    """Serve the web pages and the API."""
    import uvicorn

    from edudata.api.access_log import log_config
    from edudata.api.app import create_app
    from edudata.api.security import uvicorn_options
    from edudata.api.transport import check_listen
    from edudata.audit.sequencer import attach
    from edudata.errors import EduDataError

    settings = get_settings()
    try:
        check_listen(host or settings.host, bool(certfile), settings)
    except EduDataError as err:
        console.print(f"[red]{err.zh}[/red]\n{err.en}")
        raise typer.Exit(code=2) from None
    from edudata.ingest.incoming import sweep

    sweep(settings)  # uploads a killed server was receiving: sealed noise whose key died with it (Art. 35)
    application = create_app(settings)
    attach(application)  # the audit log's sequencer runs in the server (one per deployment wins each round)
    uvicorn.run(
        application,
        host=host or settings.host,
        port=port or settings.port,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        log_level="info",
        log_config=log_config(),  # request URLs without query values (Art. 35)
        **uvicorn_options(),  # X-Forwarded-* only from settings.trusted_proxies
    )


def _add_domain_commands() -> None:
    for domain in ("synth", *DOMAINS, "demo"):
        name = f"edudata.{domain}.commands"
        if importlib.util.find_spec(f"edudata.{domain}") and importlib.util.find_spec(name):
            module = importlib.import_module(name)
            if getattr(module, "NAME", None):
                app.add_typer(module.app, name=module.NAME)
            else:
                for command in module.app.registered_commands:
                    app.registered_commands.append(command)
                for group in module.app.registered_groups:  # e.g. `edudata backup …` beside `edudata restore`
                    app.registered_groups.append(group)


_add_domain_commands()
