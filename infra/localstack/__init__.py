"""LocalStack on the host (no Docker) for the records and keys stacks: ``python -m infra.localstack.run``."""
