"""Composition root: builds adapters and services once per process, on first use."""

from __future__ import annotations

import functools
from functools import cached_property

from chalicelib.services.catalogue import CatalogueService
from chalicelib.services.ports import AuditLog, CatalogueRepository
from chalicelib.settings import Settings, get_settings


class Container:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        from chalicelib.adapters.dynamo import models

        for model, table in (
            (models.CatalogueItem, settings.table_catalogue),
            (models.AuditItem, settings.table_audit),
        ):
            models.bind(model, table, settings.region, settings.aws_endpoint_url)

    @cached_property
    def catalogue_repository(self) -> CatalogueRepository:
        from chalicelib.adapters.dynamo.catalogue import DynamoCatalogueRepository

        return DynamoCatalogueRepository()

    @cached_property
    def audit(self) -> AuditLog:
        from chalicelib.adapters.dynamo.audit import DynamoAuditLog

        return DynamoAuditLog()

    @cached_property
    def catalogue(self) -> CatalogueService:
        return CatalogueService(self.catalogue_repository, cache_seconds=self.settings.catalogue_cache_seconds)


@functools.cache
def get_container() -> Container:
    return Container(get_settings())


def reset() -> None:
    """Forget settings and built services (tests that change the environment call this)."""
    get_settings.cache_clear()
    get_container.cache_clear()
