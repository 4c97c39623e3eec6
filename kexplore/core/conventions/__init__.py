"""kubeadm's conventions as data: written once, used to generate a tree and to check one."""
