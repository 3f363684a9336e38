"""CKAN 2.10/2.11's documented response shapes (ckan/logic/action/get.py, ckan/lib/dictization/model_dictize.py,
ckanext/datastore/logic/action.py): the keys a client may rely on, and a checker the CKAN tests share."""

from __future__ import annotations

from typing import Any

PACKAGE = {
    "id", "name", "title", "notes", "type", "state", "private", "isopen", "license_id", "license_title",
    "license_url", "author", "author_email", "maintainer", "maintainer_email", "creator_user_id",
    "metadata_created", "metadata_modified", "owner_org", "organization", "groups", "url", "version",
    "num_resources", "resources", "tags", "num_tags", "extras", "relationships_as_object",
    "relationships_as_subject",
}  # fmt: skip
RESOURCE = {
    "id", "package_id", "name", "description", "format", "url", "mimetype", "mimetype_inner", "datastore_active",
    "last_modified", "metadata_modified", "created", "position", "state", "url_type", "resource_type", "hash",
    "size", "cache_url", "cache_last_updated",
}  # fmt: skip
TAG = {"id", "name", "display_name", "state", "vocabulary_id"}
GROUP = {"id", "name", "title", "display_name", "description", "type", "state", "is_organization", "image_url",
         "approval_status"}  # fmt: skip
GROUP_LISTED = GROUP | {"package_count", "num_followers"}
ORGANIZATION = {"id", "name", "title", "type", "description", "image_url", "created", "is_organization",
                "approval_status", "state"}  # fmt: skip
SEARCH = {"count", "facets", "results", "sort", "search_facets"}
FACET_ITEM = {"name", "display_name", "count"}
LICENCE = {"id", "title", "url", "status", "maintainer", "family", "domain_content", "domain_data",
           "domain_software", "is_okd_compliant", "is_osi_compliant", "od_conformance", "osd_conformance"}  # fmt: skip
AUTOCOMPLETE = {"name", "title", "match_field", "match_displayed"}
DATASTORE_SEARCH = {"resource_id", "fields", "records", "total", "limit", "_links", "include_total",
                    "records_format", "total_was_estimated"}  # fmt: skip
DATASTORE_INFO_META = {"id", "count", "table_type", "aliases", "size", "idx_size", "db_size"}
DATASTORE_INFO_FIELD = {"id", "type", "info", "schema"}
STATUS = {"site_title", "site_url", "ckan_version", "locale_default", "extensions", "site_description"}
TIMESTAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$"  # CKAN's naive UTC ISO time


def has(keys: set[str], value: dict[str, Any]) -> None:
    missing = keys - set(value)
    assert not missing, f"missing CKAN keys {sorted(missing)} in {sorted(value)}"


def package(pkg: dict[str, Any]) -> None:
    """Every key CKAN's package_show documents, with the nested shapes."""
    import re

    has(PACKAGE, pkg)
    has(ORGANIZATION, pkg["organization"])
    for r in pkg["resources"]:
        has(RESOURCE, r)
        assert r["package_id"] == pkg["id"]
    for t in pkg["tags"]:
        has(TAG, t)
    for g in pkg["groups"]:
        has({"id", "name", "title", "display_name", "description"}, g)
    assert pkg["num_resources"] == len(pkg["resources"]) and pkg["num_tags"] == len(pkg["tags"])
    assert re.match(TIMESTAMP, pkg["metadata_modified"]) and re.match(TIMESTAMP, pkg["metadata_created"])
    assert all(isinstance(e, dict) and set(e) == {"key", "value"} for e in pkg["extras"])
