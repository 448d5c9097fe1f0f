"""The function that gives each media and TURN task its DNS name (deployed as an asset of the media stack)."""
