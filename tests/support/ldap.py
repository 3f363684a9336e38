"""A real LDAP directory for the tests: Debian's ``slapd`` on a free loopback port, its configuration and data in
a temporary folder (slapd.conf, an MDB database loaded with ``slapadd``), stopped after the module.

``ou=people,dc=tjufe,dc=edu,dc=cn`` holds ``inetOrgPerson`` entries with ``employeeNumber`` (工号), ``cn``,
``departmentNumber`` (the 4-digit unit code) and ``uid``; the tests change them with ldap3 as the directory's
administrators would.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import ldap3

from support import processes
from support.cas import free_port

BASE = "dc=tjufe,dc=edu,dc=cn"
PEOPLE = f"ou=people,{BASE}"
ADMIN_DN = f"cn=admin,{BASE}"
ADMIN_PASSWORD = "ldap-admin-pw"  # noqa: S105 - the test directory's own password
SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"

_CONF = """
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {folder}/slapd.pid
database mdb
maxsize 10485760
suffix "{base}"
rootdn "{admin}"
rootpw {password}
directory {folder}/data
"""

_BASE_LDIF = f"""dn: {BASE}
objectClass: dcObject
objectClass: organization
o: TJUFE
dc: tjufe

dn: {PEOPLE}
objectClass: organizationalUnit
ou: people
"""


def available() -> bool:
    return (
        Path(SLAPD).exists()
        and Path(SLAPADD).exists()
        and Path("/etc/ldap/schema/inetorgperson.schema").exists()
    )


class Slapd:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        (self.folder / "data").mkdir()
        conf = self.folder / "slapd.conf"
        conf.write_text(
            _CONF.format(folder=self.folder, base=BASE, admin=ADMIN_DN, password=ADMIN_PASSWORD),
            encoding="utf-8",
        )
        (self.folder / "base.ldif").write_text(_BASE_LDIF, encoding="utf-8")
        subprocess.run([SLAPADD, "-f", str(conf), "-l", str(self.folder / "base.ldif")], check=True,
                       capture_output=True, timeout=60)  # fmt: skip
        log = (self.folder / "slapd.log").open("wb")
        self.process = subprocess.Popen(
            [SLAPD, "-f", str(conf), "-h", self.url + "/", "-d", "0"], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.admin().unbind()
                return
            except ldap3.core.exceptions.LDAPException:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "slapd did not start: " + (self.folder / "slapd.log").read_text()
                    ) from None
                time.sleep(0.1)

    def stop(self) -> None:
        processes.stop(self.process)

    def admin(self) -> ldap3.Connection:
        return ldap3.Connection(
            ldap3.Server(self.url), user=ADMIN_DN, password=ADMIN_PASSWORD, auto_bind=True
        )

    def clear(self) -> None:
        with self.admin() as conn:
            conn.search(PEOPLE, "(objectClass=inetOrgPerson)", attributes=[])
            for entry in list(conn.entries):
                conn.delete(entry.entry_dn)

    def add_person(self, uid: str, number: str, name: str, unit: str) -> None:
        with self.admin() as conn:
            ok = conn.add(
                f"uid={uid},{PEOPLE}", ["inetOrgPerson"],
                {"cn": name, "sn": name[:1], "employeeNumber": number, "departmentNumber": unit, "uid": uid},
            )  # fmt: skip
            assert ok, conn.result

    def move_person(self, uid: str, unit: str) -> None:
        with self.admin() as conn:
            assert conn.modify(f"uid={uid},{PEOPLE}", {"departmentNumber": [(ldap3.MODIFY_REPLACE, [unit])]})

    def remove_person(self, uid: str) -> None:
        with self.admin() as conn:
            assert conn.delete(f"uid={uid},{PEOPLE}"), conn.result
