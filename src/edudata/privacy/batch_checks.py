"""The privacy domain's batch checks (Art. 51), installed in every process that collects data
(``edudata.ingest.rules.load_domain_checks``): the web app, ``edudata ingest``, the ingest worker, the demo."""

from __future__ import annotations

from edudata.privacy.collection import install

__all__ = ["install"]
