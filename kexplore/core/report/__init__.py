"""What the headless faces print: findings, expiry, diffs and connections as text and
JSON (text), JUnit XML, Prometheus textfile metrics, kubeadm's expiration JSON, the
compare report, and tables that never cut a path. Presenting only: no verdicts here."""
