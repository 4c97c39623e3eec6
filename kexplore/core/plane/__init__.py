"""The control plane as it runs, built from the files alone: which pods the kubelet will
run, what each container can read through its mounts, who dials whom with which
certificate trusting which CA, and which key signs what. It is the one place that maps a
flag's path to a file; rules and views read through it."""
