"""Expiry rows as `kubeadm certs check-expiration -o json` prints them (output v1alpha3).

The same kind, apiVersion and field names, so a script written for kubeadm reads it.
Two deliberate differences (README, "kubeadm-json"): a certificate kubeadm writes that is
missing says `"missing": true` with no `residualTime` and a null `expirationDate`, never
the 0 seconds that scripts mistake for "expires now"; and only kubeadm's own certificates
are listed, by kubeadm's names (`kexplore certs --format json` has every other one).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from kexplore.core.conventions.certs import CERTS_BY_NAME
from kexplore.core.model import ExpiryRow

KIND = "CertificateExpirationInfo"
API_VERSION = "output.kubeadm.k8s.io/v1alpha3"
# kubeadm leaves kubelet.conf to the kubelet's own rotation and does not list it.
NOT_LISTED = frozenset({"kubelet.conf"})


def _entry(row: ExpiryRow) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": row.name}
    if row.missing or row.not_after is None:
        entry["expirationDate"] = None
    else:
        entry["expirationDate"] = row.not_after.strftime("%Y-%m-%dT%H:%M:%SZ")
        entry["residualTime"] = row.residual_seconds
    entry["externallyManaged"] = row.externally_managed
    if row.ca_name and not row.is_ca:
        entry["caName"] = row.ca_name
    entry["missing"] = row.missing
    return entry


def kubeadm_json(rows: Sequence[ExpiryRow]) -> str:
    listed = [
        r for r in rows
        if r.name in CERTS_BY_NAME and r.name not in NOT_LISTED and not r.pointer.endswith(" CA")
    ]
    by_name: dict[str, ExpiryRow] = {}
    for row in sorted(listed, key=lambda r: r.name):
        by_name.setdefault(row.name, row)  # kubeadm lists each name once
    doc = {
        "kind": KIND,
        "apiVersion": API_VERSION,
        "certificates": [_entry(r) for r in by_name.values() if not r.is_ca],
        "certificateAuthorities": [_entry(r) for r in by_name.values() if r.is_ca],
    }
    return json.dumps(doc, indent=4)
