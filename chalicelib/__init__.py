"""Videoatención API: domain rules, use cases, adapters and HTTP blueprints (packaged by Chalice)."""
