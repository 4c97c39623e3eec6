"""Safe reading: a root walked into one Tree (scan), every read capped and confined
(safeio), and the readers that turn bytes into plain values (crypto for PEM and DER,
read_kubeconfig, yamlio). Only this package imports cryptography and PyYAML to decode."""
