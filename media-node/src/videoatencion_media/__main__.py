"""Entry point: ``videoatencion-media`` or ``python -m videoatencion_media``.

Configuration errors exit with status 2 before anything binds, a port that cannot be bound with 1; SIGTERM (ECS stopping
a task) and SIGINT stop the node gracefully and exit 0.
"""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from videoatencion_media.app import create_app
from videoatencion_media.config import ConfigError, MediaConfig
from videoatencion_media.logs import AccessLogger, configure_logging

# ECS waits 30 s between SIGTERM and SIGKILL by default; in-flight requests get a third of that.
SHUTDOWN_TIMEOUT_SECONDS = 10.0

logger = logging.getLogger("videoatencion_media")


def main() -> None:
    configure_logging()
    try:
        config = MediaConfig.from_env()
    except ConfigError as error:
        logger.error("invalid configuration", extra={"problems": error.problems})
        sys.exit(2)

    def announce(_banner: str) -> None:
        # Replaces aiohttp's plain-text banner; called once the socket is bound.
        logger.info("media node listening", extra={"host": config.host, "port": config.port})

    try:
        web.run_app(
            create_app(config),
            host=config.host,
            port=config.port,
            print=announce,
            access_log_class=AccessLogger,
            shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        )
    except OSError:
        logger.exception("media node could not start", extra={"host": config.host, "port": config.port})
        sys.exit(1)
    logger.info("media node stopped")


if __name__ == "__main__":
    main()
