"""Benchmark: issuing and verifying Open Badges 3.0 credentials, against their bare parts, same run.

    .venv/bin/python benchmarks/credentials.py [--count 1000]

One school (did:web, Ed25519 Multikey), a revocation and a suspension status list of 131,072 entries
each, signed. It times, single process:

* issue: ``build_credential`` + ``sign`` (DataIntegrityProof eddsa-rdfc-2022) for ``count``
  different learners; goal >= 100 credentials/s;
* verify: ``verify_credential`` of each of them (schema, proof, both status lists, dates);
  goal >= 100 credentials/s;
* the reference, on the same credentials: RDFC-1.0 canonicalisation by pyld alone (document plus
  proof config, what one signature or verification needs), and raw Ed25519 sign and verify of the
  same 64-byte hashData; the ratios say how close issue and verify come to that floor.

Exits non-zero if a credential does not verify, or a revoked one does.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta

from leerloopbaan.portfolio.vc import (
    KeyPair,
    StatusBits,
    build_credential,
    build_status_list_credential,
    controller_document,
    sign,
    status_entry,
    verify_credential,
)
from leerloopbaan.portfolio.vc.jsonld import canonicalize
from leerloopbaan.portfolio.vc.keys import public_key_from_multibase
from leerloopbaan.portfolio.vc.proof import hash_data

DID = "did:web:leerloopbaan.example:schools:0042"
METHOD = f"{DID}#key-2026"
REVOCATION = "https://leerloopbaan.example/status/0042/revocation/1"
SUSPENSION = "https://leerloopbaan.example/status/0042/suspension/1"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SKILLS = [
    ("work in teams", "http://data.europa.eu/esco/skill/6e0c4d0d-4c53-4aa7-8c1c-a7e2b6a0d0f1"),
    ("use spreadsheets software", "http://data.europa.eu/esco/skill/1973c966-f236-40c9-b2d4-5d71a89019be"),
    ("communicate in Dutch", "http://data.europa.eu/esco/skill/dad5d47c-2fb1-4a41-8a0c-3a6f0ba5e7a0"),
    ("apply basic programming skills", "http://data.europa.eu/esco/skill/4b1e9d2c-6c1a-4f0e-9d7e-0b6f2f2b8a11"),
]


def achievement(i: int) -> dict:
    name, url = SKILLS[i % len(SKILLS)]
    return {
        "id": f"https://leerloopbaan.example/achievements/{i % len(SKILLS)}",
        "name": name.capitalize(),
        "description": f"Shows the competence '{name}' in school projects.",
        "criteria": "Observed in at least three projects and confirmed by two teachers.",
        "achievementType": "Competency",
        "alignment": [{"targetName": name, "targetUrl": url, "targetFramework": "ESCO"}],
    }


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=1000)
    args = ap.parse_args(argv)
    n = args.count

    key = KeyPair.from_secret_bytes(bytes(range(32)))
    issued = NOW - timedelta(days=10)
    documents = {DID: controller_document(DID, [("key-2026", key.public_multibase)])}
    revocation, suspension = StatusBits(), StatusBits()
    revocation.set(n - 1, True)  # the last credential is revoked
    for url, purpose, bits in ((REVOCATION, "revocation", revocation), (SUSPENSION, "suspension", suspension)):
        documents[url] = sign(build_status_list_credential(url=url, issuer_did=DID, purpose=purpose,
                                                           encoded_list=bits.encoded(), valid_from=issued),
                              key=key, verification_method=METHOD, created=issued)

    def issue(i: int) -> dict:
        unsigned = build_credential(
            credential_id=f"urn:uuid:3f0c9a52-0000-4000-8000-{i:012d}",
            issuer={"id": DID, "name": "Atheneum Leerloopbaan", "url": "https://atheneum.example"},
            subject_id=f"urn:uuid:9a7b1c2d-0000-4000-8000-{i:012d}",
            achievement=achievement(i), valid_from=issued, valid_until=issued + timedelta(days=3650),
            status=[status_entry(list_url=REVOCATION, index=i, purpose="revocation"),
                    status_entry(list_url=SUSPENSION, index=i, purpose="suspension")],
            evidence=[{"name": f"Project {i % 17}", "narrative": "Group project, assessed with a rubric."}],
            name=SKILLS[i % len(SKILLS)][0].capitalize(),
        )
        return sign(unsigned, key=key, verification_method=METHOD, created=issued)

    # warm-up: contexts loaded and processed once, as in a running server
    verify_credential(issue(0), resolve_document=documents.get, now=NOW)

    print(f"credentials: {n:,} OpenBadgeCredentials with 2 status entries each, 1 process, "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}")

    t0, c0 = time.perf_counter(), time.process_time()
    credentials = [issue(i) for i in range(n)]
    issue_s, issue_cpu = time.perf_counter() - t0, time.process_time() - c0

    t0, c0 = time.perf_counter(), time.process_time()
    reports = [verify_credential(c, resolve_document=documents.get, now=NOW) for c in credentials]
    verify_s, verify_cpu = time.perf_counter() - t0, time.process_time() - c0

    bad = [i for i, r in enumerate(reports[:-1]) if not r.ok]
    revoked_ok = reports[-1].ok or reports[-1].check("status").code != "status.revoked"

    # reference 1: pyld canonicalisation alone (document + proof config), as one signature needs
    unsecured = [{k: v for k, v in c.items() if k != "proof"} for c in credentials]
    t0 = time.perf_counter()
    for doc, cred in zip(unsecured, credentials, strict=True):
        config = {k: v for k, v in cred["proof"].items() if k != "proofValue"}
        config["@context"] = doc["@context"]
        canonicalize(config)
        canonicalize(doc)
    canon_s = time.perf_counter() - t0

    # reference 2: raw Ed25519 over the same hashData bytes
    data = [hash_data(doc, cred["proof"]) for doc, cred in zip(unsecured[:n], credentials, strict=True)]
    t0 = time.perf_counter()
    signatures = [key.sign(d) for d in data]
    ed_sign_s = time.perf_counter() - t0
    public = public_key_from_multibase(key.public_multibase)
    t0 = time.perf_counter()
    for d, s in zip(data, signatures, strict=True):
        public.verify(s, d)
    ed_verify_s = time.perf_counter() - t0

    issue_rate, verify_rate, canon_rate = rate(n, issue_s), rate(n, verify_s), rate(n, canon_s)
    print(f"issue  (build + sign):                  {issue_rate:8.1f} credentials/s "
          f"({issue_s:.2f} s, CPU {issue_cpu:.2f} s; goal >= 100/s: {'met' if issue_rate >= 100 else 'MISSED'})")
    print(f"verify (schema + proof + status + dates): {verify_rate:6.1f} credentials/s "
          f"({verify_s:.2f} s, CPU {verify_cpu:.2f} s; goal >= 100/s: {'met' if verify_rate >= 100 else 'MISSED'})")
    print(f"reference: pyld RDFC-1.0 canonicalisation alone (document + proof config): {canon_rate:8.1f} /s")
    print(f"reference: raw Ed25519 sign {rate(n, ed_sign_s):,.0f} /s, verify {rate(n, ed_verify_s):,.0f} /s "
          f"(of the same 64-byte hashData)")
    print(f"ratio issue / canonicalisation alone  = {issue_rate / canon_rate:.2f}")
    print(f"ratio verify / canonicalisation alone = {verify_rate / canon_rate:.2f}")
    print(f"share of issue time in canonicalisation: {canon_s / issue_s:.0%}; in Ed25519: {ed_sign_s / issue_s:.1%}")
    ok = not bad and not revoked_ok
    if bad:
        print(f"credentials that did not verify: {bad[:10]} {reports[bad[0]].to_dict()}")
    if revoked_ok:
        print("the revoked credential was not reported as revoked")
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
