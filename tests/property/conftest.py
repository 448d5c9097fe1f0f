"""The API tests' fixtures (moto, the Chalice test client, the demo data) for properties asked through the API."""

from tests.api.conftest import aws, client, demo  # noqa: F401
