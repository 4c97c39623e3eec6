"""kexplore: explore and check the /etc/kubernetes tree that kubeadm writes."""

__version__ = "0.1.0"
