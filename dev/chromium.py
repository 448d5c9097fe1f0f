"""Debian's Chromium as the browser tests and the glass-to-glass benchmark launch it (headless, through Playwright,
which downloads no browser of its own): where it is, and the flags both pass."""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# A quiet, throwaway browser with a fake camera and microphone that asks for no permission.
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
)
# What Chromium needs to talk WebRTC to an aiortc server on this machine (design/LOCAL.md, "WebRTC"): real host
# candidates rather than mDNS names, loopback candidates, sound without a click, and no throttling of pages that
# headless Chromium considers in the background.
WEBRTC_FLAGS = (
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
)
