"""The CIS Kubernetes Benchmark v1.12 checks kexplore evaluates, as data.

Titles are the benchmark's (kube-bench `cfg/cis-1.12`, whose ids and tests cis-2.0 keeps),
without the "(Automated)"/"(Manual)" suffix, which `automated` carries. Remediations are
written for kubeadm: an edit to a static pod manifest is undone by the next
`kubeadm upgrade` unless the same setting is also in the ClusterConfiguration's extraArgs,
so each flag remediation names both.
"""

from __future__ import annotations

from kexplore.core.records import record

BENCHMARK = "cis-1.12"
BENCHMARK_TITLE = "CIS Kubernetes Benchmark v1.12"


@record
class Section:
    id: str
    title: str


@record
class CisCheck:
    id: str
    title: str
    section: str
    automated: bool
    remediation: str


SECTIONS: tuple[Section, ...] = (
    Section("1.1", "Control Plane Node Configuration Files"),
    Section("1.2", "API Server"),
    Section("1.3", "Controller Manager"),
    Section("1.4", "Scheduler"),
    Section("2", "Etcd Node Configuration"),
    Section("4.1", "Worker Node Configuration Files"),
)
SECTION_TITLES = {s.id: s.title for s in SECTIONS}

_APISERVER = "/etc/kubernetes/manifests/kube-apiserver.yaml"
_KCM = "/etc/kubernetes/manifests/kube-controller-manager.yaml"
_SCHEDULER = "/etc/kubernetes/manifests/kube-scheduler.yaml"
_ETCD = "/etc/kubernetes/manifests/etcd.yaml"


def _flag_fix(manifest: str, setting: str, kubeadm_key: str) -> str:
    return (
        f"Edit {manifest} and set {setting}; to keep it across `kubeadm upgrade`, also set it "
        f"under {kubeadm_key}.extraArgs in the kubeadm ClusterConfiguration."
    )


def _api(setting: str) -> str:
    return _flag_fix(_APISERVER, setting, "apiServer")


def _kcm(setting: str) -> str:
    return _flag_fix(_KCM, setting, "controllerManager")


def _sched(setting: str) -> str:
    return _flag_fix(_SCHEDULER, setting, "scheduler")


def _etcd(setting: str) -> str:
    return _flag_fix(_ETCD, setting, "etcd.local")


def _c(id: str, title: str, automated: bool, remediation: str) -> CisCheck:
    section = "2" if id.startswith("2.") else id.rsplit(".", 1)[0]
    return CisCheck(id, title, section, automated, remediation)


A, M = True, False

STRONG_CIPHERS = (
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
)

CHECKS: tuple[CisCheck, ...] = (
    # 1.1 Control plane node configuration files
    _c("1.1.1", "Ensure that the API server pod specification file permissions are set to "
       "600 or more restrictive", A, f"chmod 600 {_APISERVER}"),
    _c("1.1.2", "Ensure that the API server pod specification file ownership is set to "
       "root:root", A, f"chown root:root {_APISERVER}"),
    _c("1.1.3", "Ensure that the controller manager pod specification file permissions are set "
       "to 600 or more restrictive", A, f"chmod 600 {_KCM}"),
    _c("1.1.4", "Ensure that the controller manager pod specification file ownership is set to "
       "root:root", A, f"chown root:root {_KCM}"),
    _c("1.1.5", "Ensure that the scheduler pod specification file permissions are set to 600 "
       "or more restrictive", A, f"chmod 600 {_SCHEDULER}"),
    _c("1.1.6", "Ensure that the scheduler pod specification file ownership is set to "
       "root:root", A, f"chown root:root {_SCHEDULER}"),
    _c("1.1.7", "Ensure that the etcd pod specification file permissions are set to 600 or "
       "more restrictive", A, f"chmod 600 {_ETCD}"),
    _c("1.1.8", "Ensure that the etcd pod specification file ownership is set to root:root",
       A, f"chown root:root {_ETCD}"),
    _c("1.1.9", "Ensure that the Container Network Interface file permissions are set to 600 "
       "or more restrictive", M, "chmod 600 /etc/cni/net.d/* (and files under /var/lib/cni)"),
    _c("1.1.10", "Ensure that the Container Network Interface file ownership is set to "
       "root:root", M, "chown root:root /etc/cni/net.d/* (and files under /var/lib/cni)"),
    _c("1.1.11", "Ensure that the etcd data directory permissions are set to 700 or more "
       "restrictive", A, "chmod 700 on etcd's --data-dir (kubeadm: /var/lib/etcd)"),
    _c("1.1.12", "Ensure that the etcd data directory ownership is set to etcd:etcd", A,
       "chown etcd:etcd on etcd's --data-dir (kubeadm runs etcd as root, so this needs "
       "etcd to run as that user too)"),
    _c("1.1.13", "Ensure that the default administrative credential file permissions are set "
       "to 600", A, "chmod 600 /etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf"),
    _c("1.1.14", "Ensure that the default administrative credential file ownership is set to "
       "root:root", A,
       "chown root:root /etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf"),
    _c("1.1.15", "Ensure that the scheduler.conf file permissions are set to 600 or more "
       "restrictive", A, "chmod 600 /etc/kubernetes/scheduler.conf"),
    _c("1.1.16", "Ensure that the scheduler.conf file ownership is set to root:root", A,
       "chown root:root /etc/kubernetes/scheduler.conf"),
    _c("1.1.17", "Ensure that the controller-manager.conf file permissions are set to 600 or "
       "more restrictive", A, "chmod 600 /etc/kubernetes/controller-manager.conf"),
    _c("1.1.18", "Ensure that the controller-manager.conf file ownership is set to root:root",
       A, "chown root:root /etc/kubernetes/controller-manager.conf"),
    _c("1.1.19", "Ensure that the Kubernetes PKI directory and file ownership is set to "
       "root:root", A, "chown -R root:root /etc/kubernetes/pki/"),
    _c("1.1.20", "Ensure that the Kubernetes PKI certificate file permissions are set to 644 "
       "or more restrictive", M,
       "find /etc/kubernetes/pki -name '*.crt' -exec chmod 644 {} + (pki/etcd included)"),
    _c("1.1.21", "Ensure that the Kubernetes PKI key file permissions are set to 600", M,
       "find /etc/kubernetes/pki -name '*.key' -exec chmod 600 {} + (pki/etcd included)"),
    # 1.2 API server
    _c("1.2.1", "Ensure that the --anonymous-auth argument is set to false", M,
       _api("--anonymous-auth=false") + " kubeadm's probes and join rely on anonymous "
       "/livez, /readyz and cluster-info; an AuthenticationConfiguration that allows "
       "anonymous access only to those paths is the kubeadm-friendly alternative."),
    _c("1.2.2", "Ensure that the --token-auth-file parameter is not set", A,
       "Configure another authentication mechanism, then remove --token-auth-file from "
       f"{_APISERVER} and from apiServer.extraArgs."),
    _c("1.2.3", "Ensure that the --DenyServiceExternalIPs is set", M,
       _api("--enable-admission-plugins to include DenyServiceExternalIPs")),
    _c("1.2.4", "Ensure that the --kubelet-client-certificate and --kubelet-client-key "
       "arguments are set as appropriate", A,
       _api("--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt "
            "and --kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key")),
    _c("1.2.5", "Ensure that the --kubelet-certificate-authority argument is set as "
       "appropriate", A,
       _api("--kubelet-certificate-authority=<CA that signs the kubelets' serving certs>")
       + " kubeadm's kubelets serve self-signed certs by default: first enable serverTLSBootstrap "
       "and approve the kubelet-serving CSRs, then point this flag at /etc/kubernetes/pki/ca.crt."),
    _c("1.2.6", "Ensure that the --authorization-mode argument is not set to AlwaysAllow", A,
       _api("--authorization-mode=Node,RBAC")),
    _c("1.2.7", "Ensure that the --authorization-mode argument includes Node", A,
       _api("--authorization-mode=Node,RBAC")),
    _c("1.2.8", "Ensure that the --authorization-mode argument includes RBAC", A,
       _api("--authorization-mode=Node,RBAC")),
    _c("1.2.9", "Ensure that the admission control plugin EventRateLimit is set", M,
       _api("--enable-admission-plugins to include EventRateLimit, with "
            "--admission-control-config-file naming its configuration")),
    _c("1.2.10", "Ensure that the admission control plugin AlwaysAdmit is not set", A,
       _api("--enable-admission-plugins without AlwaysAdmit")),
    _c("1.2.11", "Ensure that the admission control plugin AlwaysPullImages is set", M,
       _api("--enable-admission-plugins to include AlwaysPullImages")),
    _c("1.2.12", "Ensure that the admission control plugin ServiceAccount is set", A,
       _api("--disable-admission-plugins without ServiceAccount (it is on by default)")),
    _c("1.2.13", "Ensure that the admission control plugin NamespaceLifecycle is set", A,
       _api("--disable-admission-plugins without NamespaceLifecycle (it is on by default)")),
    _c("1.2.14", "Ensure that the admission control plugin NodeRestriction is set", A,
       _api("--enable-admission-plugins to include NodeRestriction")),
    _c("1.2.15", "Ensure that the --profiling argument is set to false", A,
       _api("--profiling=false")),
    _c("1.2.16", "Ensure that the --audit-log-path argument is set", A,
       _api("--audit-log-path=/var/log/kubernetes/audit/audit.log with an "
            "--audit-policy-file, and mount both paths as hostPath volumes")),
    _c("1.2.17", "Ensure that the --audit-log-maxage argument is set to 30 or as appropriate",
       A, _api("--audit-log-maxage=30")),
    _c("1.2.18", "Ensure that the --audit-log-maxbackup argument is set to 10 or as "
       "appropriate", A, _api("--audit-log-maxbackup=10")),
    _c("1.2.19", "Ensure that the --audit-log-maxsize argument is set to 100 or as "
       "appropriate", A, _api("--audit-log-maxsize=100")),
    _c("1.2.20", "Ensure that the --request-timeout argument is set as appropriate", M,
       _api("--request-timeout only if the default 1m0s does not suit the cluster")),
    _c("1.2.21", "Ensure that the --service-account-lookup argument is set to true", A,
       _api("--service-account-lookup=true (or remove it: true is the default)")),
    _c("1.2.22", "Ensure that the --service-account-key-file argument is set as appropriate",
       A, _api("--service-account-key-file=/etc/kubernetes/pki/sa.pub")),
    _c("1.2.23", "Ensure that the --etcd-certfile and --etcd-keyfile arguments are set as "
       "appropriate", A,
       _api("--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt and "
            "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key")),
    _c("1.2.24", "Ensure that the --tls-cert-file and --tls-private-key-file arguments are set "
       "as appropriate", A,
       _api("--tls-cert-file=/etc/kubernetes/pki/apiserver.crt and "
            "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key")),
    _c("1.2.25", "Ensure that the --client-ca-file argument is set as appropriate", A,
       _api("--client-ca-file=/etc/kubernetes/pki/ca.crt")),
    _c("1.2.26", "Ensure that the --etcd-cafile argument is set as appropriate", A,
       _api("--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt")),
    _c("1.2.27", "Ensure that the --encryption-provider-config argument is set as appropriate",
       M, _api("--encryption-provider-config=<path to an EncryptionConfiguration>, and mount "
               "its folder as a hostPath volume")),
    _c("1.2.28", "Ensure that encryption providers are appropriately configured", M,
       "In the EncryptionConfiguration, list aescbc, kms or secretbox first for secrets "
       "(identity first means secrets are written unencrypted)."),
    _c("1.2.29", "Ensure that the API Server only makes use of Strong Cryptographic Ciphers",
       M, _api("--tls-cipher-suites=" + ",".join(STRONG_CIPHERS))),
    _c("1.2.30", "Ensure that the --service-account-extend-token-expiration parameter is set "
       "to false", A, _api("--service-account-extend-token-expiration=false")),
    # 1.3 Controller manager
    _c("1.3.1", "Ensure that the --terminated-pod-gc-threshold argument is set as appropriate",
       M, _kcm("--terminated-pod-gc-threshold=10")),
    _c("1.3.2", "Ensure that the --profiling argument is set to false", A,
       _kcm("--profiling=false")),
    _c("1.3.3", "Ensure that the --use-service-account-credentials argument is set to true", A,
       _kcm("--use-service-account-credentials=true")),
    _c("1.3.4", "Ensure that the --service-account-private-key-file argument is set as "
       "appropriate", A, _kcm("--service-account-private-key-file=/etc/kubernetes/pki/sa.key")),
    _c("1.3.5", "Ensure that the --root-ca-file argument is set as appropriate", A,
       _kcm("--root-ca-file=/etc/kubernetes/pki/ca.crt")),
    _c("1.3.6", "Ensure that the RotateKubeletServerCertificate argument is set to true", A,
       _kcm("--feature-gates without RotateKubeletServerCertificate=false")),
    _c("1.3.7", "Ensure that the --bind-address argument is set to 127.0.0.1", A,
       _kcm("--bind-address=127.0.0.1")),
    # 1.4 Scheduler
    _c("1.4.1", "Ensure that the --profiling argument is set to false", A,
       _sched("--profiling=false")),
    _c("1.4.2", "Ensure that the --bind-address argument is set to 127.0.0.1", A,
       _sched("--bind-address=127.0.0.1")),
    # 2 etcd
    _c("2.1", "Ensure that the --cert-file and --key-file arguments are set as appropriate", A,
       _etcd("--cert-file=/etc/kubernetes/pki/etcd/server.crt and "
             "--key-file=/etc/kubernetes/pki/etcd/server.key")),
    _c("2.2", "Ensure that the --client-cert-auth argument is set to true", A,
       _etcd("--client-cert-auth=true")),
    _c("2.3", "Ensure that the --auto-tls argument is not set to true", A,
       _etcd("--auto-tls=false (or remove it)")),
    _c("2.4", "Ensure that the --peer-cert-file and --peer-key-file arguments are set as "
       "appropriate", A,
       _etcd("--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt and "
             "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key")),
    _c("2.5", "Ensure that the --peer-client-cert-auth argument is set to true", A,
       _etcd("--peer-client-cert-auth=true")),
    _c("2.6", "Ensure that the --peer-auto-tls argument is not set to true", A,
       _etcd("--peer-auto-tls=false (or remove it)")),
    _c("2.7", "Ensure that a unique Certificate Authority is used for etcd", M,
       _etcd("--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt, a CA other than the "
             "cluster's pki/ca.crt")),
    # 4.1 Worker node configuration files (the rows kubeadm's /etc/kubernetes holds, and the
    # rest as not-applicable so the section reads complete)
    _c("4.1.1", "Ensure that the kubelet service file permissions are set to 600 or more "
       "restrictive", A, "chmod 600 /usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"),
    _c("4.1.2", "Ensure that the kubelet service file ownership is set to root:root", A,
       "chown root:root /usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"),
    _c("4.1.3", "If proxy kubeconfig file exists ensure permissions are set to 600 or more "
       "restrictive", M, "chmod 600 /etc/kubernetes/proxy.conf"),
    _c("4.1.4", "If proxy kubeconfig file exists ensure ownership is set to root:root", M,
       "chown root:root /etc/kubernetes/proxy.conf"),
    _c("4.1.5", "Ensure that the --kubeconfig kubelet.conf file permissions are set to 600 or "
       "more restrictive", A, "chmod 600 /etc/kubernetes/kubelet.conf"),
    _c("4.1.6", "Ensure that the --kubeconfig kubelet.conf file ownership is set to root:root",
       A, "chown root:root /etc/kubernetes/kubelet.conf"),
    _c("4.1.7", "Ensure that the certificate authorities file permissions are set to 644 or "
       "more restrictive", M, "chmod 644 /etc/kubernetes/pki/ca.crt"),
    _c("4.1.8", "Ensure that the client certificate authorities file ownership is set to "
       "root:root", M, "chown root:root /etc/kubernetes/pki/ca.crt"),
    _c("4.1.9", "If the kubelet config.yaml configuration file is being used validate "
       "permissions set to 600 or more restrictive", A, "chmod 600 /var/lib/kubelet/config.yaml"),
    _c("4.1.10", "If the kubelet config.yaml configuration file is being used validate file "
       "ownership is set to root:root", A, "chown root:root /var/lib/kubelet/config.yaml"),
)
CHECKS_BY_ID = {c.id: c for c in CHECKS}
