"""The local embedded stack: moto server, provisioning from the one resource description, demo data, runner."""
