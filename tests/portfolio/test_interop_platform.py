"""Interoperability end to end: credentials the platform issues through its services (the same path
as the organisation's "attest" button), with the DID document and status lists it publishes over
HTTP, checked by the independent Node verifier; then revoked and checked again."""

from __future__ import annotations

import json
import subprocess

import pytest
from django.urls import reverse

from leerloopbaan.portfolio.youth import selectors, services

from .test_vc_interop_node import TOOL, _node_or_skip

pytestmark = pytest.mark.django_db


def _published(client, credential) -> dict:
    """What a verifier would fetch: the issuer's DID document and the status lists, via the platform's URLs."""
    document = credential.document
    documents = {document["issuer"]["id"]: client.get(reverse("portfolio:issuer_did",
                                                              args=[credential.issuer.slug])).json()}
    url = document["credentialStatus"]["statusListCredential"]
    documents[url] = client.get(url.split(services.public_url(), 1)[1]).json()
    return documents


def _node(node, tmp_path, documents, credentials) -> dict:
    path = tmp_path / "platform.json"
    path.write_text(json.dumps({"documents": documents, "credentials": [
        {"name": name, "credential": c} for name, c in credentials.items()]}), encoding="utf-8")
    result = subprocess.run([node, str(TOOL / "verify.mjs"), str(path)], capture_output=True, text=True, timeout=180,
                            cwd=TOOL)
    assert result.returncode == 0, result.stderr
    return {r["name"]: r for r in json.loads(result.stdout)}


def test_platform_issued_credentials_verify_in_node(attested, client, tmp_path):
    node = _node_or_skip()
    first = attested["credential"]
    services.key_rotate(user=attested["contact"], issuer=attested["issuer"])
    second = services.credential_issue(user=attested["contact"], portfolio=attested["portfolio"],
                                       achievement=attested["achievement"], valid_years=3)
    results = _node(node, tmp_path, _published(client, first),
                    {"before_rotation": first.document, "after_rotation": second.document})
    assert results["before_rotation"]["verified"] is True, results
    assert results["after_rotation"]["verified"] is True, results
    assert selectors.verify(first.document).ok and selectors.verify(second.document).ok

    services.credential_set_status(user=attested["contact"], credential=first, status="revoked", reason="mistake")
    results = _node(node, tmp_path, _published(client, first),
                    {"revoked": first.document, "still_valid": second.document})
    assert results["revoked"]["verified"] is False and any("revocation" in e for e in results["revoked"]["errors"])
    assert results["still_valid"]["verified"] is True, results
    assert not selectors.verify(first.document).ok and selectors.verify(second.document).ok
