"""`kexplore generate`: the tree kubeadm would write, checked field by field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from conftest import NOW, Factory
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from treeshape import describe, key_matches_cert

from kexplore.cli import main
from kexplore.core.params import ClusterParams, EtcdMode, KeyAlgorithm, Version

EXAMPLES = Path(__file__).parent / "data" / "kubeadm-examples"
PODS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
LOCAL_FILES = {
    "admin.conf",
    "super-admin.conf",
    "kubelet.conf",
    "controller-manager.conf",
    "scheduler.conf",
    *(f"manifests/{p}.yaml" for p in PODS),
    *(
        f"pki/{b}.{e}"
        for b in (
            "ca",
            "apiserver",
            "apiserver-kubelet-client",
            "apiserver-etcd-client",
            "front-proxy-ca",
            "front-proxy-client",
        )
        for e in ("crt", "key")
    ),
    "pki/sa.key",
    "pki/sa.pub",
    *(
        f"pki/etcd/{b}.{e}"
        for b in ("ca", "server", "peer", "healthcheck-client")
        for e in ("crt", "key")
    ),
}


def v(text: str) -> ClusterParams:
    return ClusterParams(
        key_algorithm=KeyAlgorithm.ECDSA_P256, kubernetes_version=Version.parse(text)
    )


def files_of(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def cert(root: Path, rel: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((root / rel).read_bytes())


@pytest.mark.parametrize("version", ["1.31", "1.35"])
@pytest.mark.parametrize("pod", PODS)
def test_manifests_are_byte_identical_to_kubeadm_examples(
    make_tree: Factory, version: str, pod: str
) -> None:
    root = make_tree(v(f"{version}.0"))
    expected = (EXAMPLES / f"v{version}" / f"{pod}.yaml").read_text()
    assert (root / "manifests" / f"{pod}.yaml").read_text() == expected


@pytest.mark.parametrize(
    "name", ["admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf"]
)
def test_kubeconfigs_have_kubeadm_shape(make_tree: Factory, name: str) -> None:
    root = make_tree()
    ours = yaml.safe_load((root / name).read_text())
    theirs = yaml.safe_load((EXAMPLES / "kubeconfigs" / name).read_text())
    assert list(ours) == list(theirs)  # kubeadm's (alphabetical) key order
    for doc in (ours, theirs):
        doc["clusters"][0]["cluster"].pop("certificate-authority-data")
        doc["users"][0]["user"] = sorted(doc["users"][0]["user"])
    assert ours == theirs


def test_init_node_tree_has_every_file_with_kubeadm_modes(make_tree: Factory) -> None:
    root = make_tree()
    assert files_of(root) == LOCAL_FILES
    for rel in LOCAL_FILES:
        mode = (root / rel).stat().st_mode & 0o777
        expected = 0o644 if rel.endswith(".crt") else 0o600
        assert mode == expected, rel
    assert (root / "manifests").stat().st_mode & 0o777 == 0o700
    assert (root / "pki").stat().st_mode & 0o777 == 0o755


def test_external_etcd_tree_has_no_etcd_pki_and_points_the_apiserver_away(
    make_tree: Factory,
) -> None:
    root = make_tree(
        ClusterParams(
            key_algorithm=KeyAlgorithm.ECDSA_P256,
            etcd=EtcdMode.EXTERNAL,
            external_etcd_endpoints=("https://10.0.0.21:2379", "https://10.0.0.22:2379"),
        )
    )
    names = files_of(root)
    assert not any(n.startswith("pki/etcd/") for n in names)
    assert "manifests/etcd.yaml" not in names
    assert "pki/apiserver-etcd-client.crt" not in names
    assert len([n for n in names if n.startswith("pki/")]) == 12
    pod = yaml.safe_load((root / "manifests/kube-apiserver.yaml").read_text())
    command = pod["spec"]["containers"][0]["command"]
    assert "--etcd-servers=https://10.0.0.21:2379,https://10.0.0.22:2379" in command
    assert "--etcd-cafile=/etc/etcd/ca.crt" in command
    mounts = {m["name"]: m["mountPath"] for m in pod["spec"]["containers"][0]["volumeMounts"]}
    assert mounts["etcd-certs-0"] == "/etc/etcd"


def test_every_certificate_is_signed_by_its_ca_and_matches_its_key(make_tree: Factory) -> None:
    root = make_tree()
    shape = describe(root)
    expected_ca = {
        "apiserver": "pki/ca.crt",
        "apiserver-kubelet-client": "pki/ca.crt",
        "front-proxy-client": "pki/front-proxy-ca.crt",
        "apiserver-etcd-client": "pki/etcd/ca.crt",
        "etcd/server": "pki/etcd/ca.crt",
        "etcd/peer": "pki/etcd/ca.crt",
        "etcd/healthcheck-client": "pki/etcd/ca.crt",
        "ca": "pki/ca.crt",
        "front-proxy-ca": "pki/front-proxy-ca.crt",
        "etcd/ca": "pki/etcd/ca.crt",
    }
    for base, ca in expected_ca.items():
        assert shape[f"pki/{base}.crt"]["signed_by"] == ca, base
        assert key_matches_cert(root / f"pki/{base}.key", root / f"pki/{base}.crt")
    assert shape["pki/sa.key"]["matches"] is True
    for conf in (
        "admin.conf",
        "super-admin.conf",
        "kubelet.conf",
        "controller-manager.conf",
        "scheduler.conf",
    ):
        assert shape[conf]["client_signed_by"] == "pki/ca.crt"


def test_subjects_sans_and_usages_follow_kubeadm(make_tree: Factory) -> None:
    shape = describe(make_tree())
    api = shape["pki/apiserver.crt"]["cert"]
    assert api["cn"] == ["kube-apiserver"]
    assert api["sans"] == [
        "<DNSName(value='cp-1')>",
        "<DNSName(value='kubernetes')>",
        "<DNSName(value='kubernetes.default')>",
        "<DNSName(value='kubernetes.default.svc')>",
        "<DNSName(value='kubernetes.default.svc.cluster.local')>",
        "<IPAddress(value=10.96.0.1)>",
        "<IPAddress(value=192.168.1.10)>",
    ]
    assert api["eku"] == ["1.3.6.1.5.5.7.3.1"]
    etcd = shape["pki/etcd/server.crt"]["cert"]
    assert etcd["cn"] == ["cp-1"]
    assert (
        "<IPAddress(value=127.0.0.1)>" in etcd["sans"] and "<IPAddress(value=::1)>" in etcd["sans"]
    )
    assert etcd["eku"] == ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]
    assert shape["pki/apiserver-kubelet-client.crt"]["cert"]["o"] == ["kubeadm:cluster-admins"]
    assert shape["pki/etcd/healthcheck-client.crt"]["cert"]["o"] == []
    admin = shape["admin.conf"]["doc"]["users"][0]["user"]["cert"]
    assert (admin["cn"], admin["o"]) == (["kubernetes-admin"], ["kubeadm:cluster-admins"])
    assert shape["pki/ca.crt"]["cert"]["ca"] is True
    assert shape["pki/ca.crt"]["cert"]["sans"] == ["<DNSName(value='kubernetes')>"]


def test_validity_follows_kubeadm_defaults(make_tree: Factory) -> None:
    root = make_tree()
    leaf, ca = cert(root, "pki/apiserver.crt"), cert(root, "pki/ca.crt")
    assert leaf.not_valid_before_utc == NOW - timedelta(minutes=5)
    assert leaf.not_valid_after_utc == NOW + timedelta(days=365)
    assert ca.not_valid_before_utc == NOW - timedelta(minutes=5)
    assert ca.not_valid_after_utc == NOW + timedelta(days=3650)


def test_a_128_tree_has_the_older_conventions(make_tree: Factory) -> None:
    root = make_tree(v("1.28.4"))
    assert "super-admin.conf" not in files_of(root)
    shape = describe(root)
    assert shape["pki/apiserver-kubelet-client.crt"]["cert"]["o"] == ["system:masters"]
    assert shape["pki/apiserver-etcd-client.crt"]["cert"]["o"] == ["system:masters"]
    assert shape["admin.conf"]["doc"]["users"][0]["user"]["cert"]["o"] == ["system:masters"]
    etcd = shape["manifests/etcd.yaml"]["doc"]
    command = etcd["spec"]["containers"][0]["command"]
    assert "--experimental-initial-corrupt-check=true" in command
    assert etcd["spec"]["containers"][0]["image"] == "registry.k8s.io/etcd:3.5.9-0"
    probe = etcd["spec"]["containers"][0]["livenessProbe"]["httpGet"]
    assert probe == {
        "host": "127.0.0.1",
        "path": "/health?exclude=NOSPACE&serializable=true",
        "port": 2381,
        "scheme": "HTTP",
    }
    scheduler = shape["manifests/kube-scheduler.yaml"]["doc"]
    assert "readinessProbe" not in scheduler["spec"]["containers"][0]
    assert scheduler["metadata"]["creationTimestamp"] is None
    # ≤1.30 leaves inherit the CA's NotBefore
    assert (
        cert(root, "pki/apiserver.crt").not_valid_before_utc
        == cert(root, "pki/ca.crt").not_valid_before_utc
    )


@pytest.mark.parametrize(
    "version,server",
    [("1.32.0", "https://lb.example.com:8443"), ("1.35.0", "https://192.168.1.10:6443")],
)
def test_control_plane_endpoint_decides_each_kubeconfig_server(
    make_tree: Factory, version: str, server: str
) -> None:
    params = ClusterParams(
        key_algorithm=KeyAlgorithm.ECDSA_P256,
        kubernetes_version=Version.parse(version),
        control_plane_endpoint="lb.example.com:8443",
        pod_subnet="10.244.0.0/16",
    )
    root = make_tree(params)

    def server_of(name: str) -> str:
        return yaml.safe_load((root / name).read_text())["clusters"][0]["cluster"]["server"]

    assert server_of("admin.conf") == "https://lb.example.com:8443"
    assert server_of("scheduler.conf") == "https://192.168.1.10:6443"
    assert server_of("controller-manager.conf") == "https://192.168.1.10:6443"
    assert server_of("kubelet.conf") == server
    assert (
        "<DNSName(value='lb.example.com')>" in describe(root)["pki/apiserver.crt"]["cert"]["sans"]
    )
    kcm = yaml.safe_load((root / "manifests/kube-controller-manager.yaml").read_text())
    assert "--cluster-cidr=10.244.0.0/16" in kcm["spec"]["containers"][0]["command"]


@pytest.mark.parametrize("algorithm", list(KeyAlgorithm))
def test_every_key_algorithm_gives_keys_and_signatures_of_that_kind(
    make_tree: Factory, algorithm: KeyAlgorithm
) -> None:
    root = make_tree(ClusterParams(key_algorithm=algorithm))
    for rel in ("pki/ca.key", "pki/apiserver.key", "pki/sa.key", "pki/etcd/peer.key"):
        data = (root / rel).read_bytes()
        key = serialization.load_pem_private_key(data, None)
        if algorithm.is_rsa:
            assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == algorithm.bits
            assert data.startswith(b"-----BEGIN RSA PRIVATE KEY-----")
        else:
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            assert key.curve.key_size == algorithm.bits
            assert data.startswith(b"-----BEGIN EC PRIVATE KEY-----")
    expected_hash = hashes.SHA384 if algorithm is KeyAlgorithm.ECDSA_P384 else hashes.SHA256
    assert isinstance(cert(root, "pki/apiserver.crt").signature_hash_algorithm, expected_hash)
    assert key_matches_cert(root / "pki/apiserver.key", root / "pki/apiserver.crt")


def test_generate_refuses_a_non_empty_folder_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    args = [
        "generate",
        str(tmp_path),
        "--key-algorithm",
        "ECDSA-P256",
        "--now",
        "2026-11-01T09:00:00Z",
    ]
    assert main(args) == 2
    assert "not empty" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
    assert main([*args, "--force"]) == 0
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert (tmp_path / "pki/ca.crt").exists()


def test_generate_cli_sets_parameters_and_rejects_bad_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t"
    assert (
        main(
            [
                "generate",
                str(out),
                "--node-name",
                "master-7",
                "--advertise-address",
                "10.1.2.3",
                "--kubernetes-version",
                "v1.30.2",
                "--key-algorithm",
                "ECDSA-P256",
                "--cert-validity",
                "720h",
                "--now",
                "2026-11-01T09:00:00Z",
            ]
        )
        == 0
    )
    server = cert(out, "pki/etcd/server.crt")
    assert server.subject.rfc4514_string() == "CN=master-7"
    assert server.not_valid_after_utc == NOW + timedelta(hours=720)
    pod = yaml.safe_load((out / "manifests/kube-apiserver.yaml").read_text())
    assert pod["spec"]["containers"][0]["image"] == "registry.k8s.io/kube-apiserver:v1.30.2"
    assert main(["generate", str(tmp_path / "u"), "--fault", "no-such-fault"]) == 2
    assert "unknown fault" in capsys.readouterr().err
    assert main(["generate", str(tmp_path / "u"), "--fault", "manifest-leader-elect:etcd"]) == 2
    assert "cannot target" in capsys.readouterr().err
    assert not (tmp_path / "u").exists()
    assert main(["generate", str(tmp_path / "w"), "--advertise-address", "not-an-ip"]) == 2


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--kubernetes-version", "v1.38.0"], "outside the versions kexplore can write"),
        (["--kubernetes-version", "v1.23.17"], "outside the versions kexplore can write"),
        (["--kubernetes-version", "v1.33.0", "--key-algorithm", "ECDSA-P384"], "v1.34+"),
        (["--kubernetes-version", "v1.30.2", "--key-algorithm", "RSA-4096"], "v1.31+"),
        (["--cert-validity", "0h"], "--cert-validity"),
        (["--ca-validity", "0d"], "--ca-validity"),
    ],
)
def test_generate_refuses_what_kubeadm_cannot_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], says: str
) -> None:
    try:
        code = main(["generate", str(tmp_path / "t"), *options])
    except SystemExit as exc:  # an argument argparse itself refuses
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert not (tmp_path / "t").exists()


def test_the_core_refuses_a_zero_validity_whoever_asks(tmp_path: Path) -> None:
    from kexplore.core.generate import NotWritableByKubeadm, generate_tree

    for params in (ClusterParams(cert_validity=timedelta(0)),
                   ClusterParams(ca_validity=timedelta(hours=-1))):
        with pytest.raises(NotWritableByKubeadm, match="must be longer than zero"):
            generate_tree(tmp_path / "t", params, NOW)
    assert not (tmp_path / "t").exists()


def test_list_faults_names_every_fault(capsys: pytest.CaptureFixture[str]) -> None:
    from kexplore.core.faults import FAULTS, HA_FAULTS, NODE_FAULTS

    assert main(["generate", "--list-faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    listed = (*FAULTS, *HA_FAULTS, *NODE_FAULTS)
    assert [line.split()[0] for line in lines] == [f.name for f in listed]
    # the faults planted outside the tree say what they need
    assert all(line.endswith("(with --node-root)") for line in lines[-len(NODE_FAULTS):])


def test_the_default_key_algorithm_is_kubeadms() -> None:
    # Tests mostly generate ECDSA trees for speed; what users get is kubeadm's RSA-2048.
    assert ClusterParams().key_algorithm is KeyAlgorithm.RSA_2048


def test_force_never_writes_through_a_symlink_or_over_a_folder(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]
                                                               ) -> None:
    outside = tmp_path / "outside"
    outside.mkdir(mode=0o700)
    target = tmp_path / "t"
    target.mkdir()
    (target / "pki").symlink_to(outside)
    assert main(["generate", str(target), "--force", "--key-algorithm", "ECDSA-P256"]) == 2
    assert "symlink" in capsys.readouterr().err
    assert list(outside.iterdir()) == [] and outside.stat().st_mode & 0o777 == 0o700
    other = tmp_path / "u"
    (other / "pki" / "ca.key").mkdir(parents=True)
    assert main(["generate", str(other), "--force", "--key-algorithm", "ECDSA-P256"]) == 2
    assert "is a folder where kubeadm writes a file" in capsys.readouterr().err


def test_a_clock_past_the_calendar_is_a_usage_error(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", str(tmp_path / "t"), "--now", "9999-12-31T00:00:00Z",
                 "--key-algorithm", "ECDSA-P256"]) == 2
    assert "9999" in capsys.readouterr().err
    assert not (tmp_path / "t").exists()


def test_names_kubernetes_would_refuse_are_refused(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", str(tmp_path / "a"), "--node-name", "a b/../x"]) == 2
    assert main(["generate", str(tmp_path / "b"), "--dns-domain", ""]) == 2
    assert "not a" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_dual_stack_tree_is_written_and_checks_clean(make_tree: Factory) -> None:
    from kexplore.core.check import check_tree
    from kexplore.core.read.scan import scan

    params = ClusterParams(key_algorithm=KeyAlgorithm.ECDSA_P256,
                           service_subnet="10.96.0.0/12,fd00:1::/112",
                           pod_subnet="10.244.0.0/16,fd00:2::/56")
    root = make_tree(params)
    pod = yaml.safe_load((root / "manifests/kube-apiserver.yaml").read_text())
    assert "--service-cluster-ip-range=10.96.0.0/12,fd00:1::/112" in \
        pod["spec"]["containers"][0]["command"]
    assert check_tree(scan(root), NOW).findings == ()
