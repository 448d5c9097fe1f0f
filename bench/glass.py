"""Glass-to-glass latency in Chromium: browser ↔ browser direct vs browser → node → browser, same run.

Each page (``bench/glass_page.html``, served by the benchmark from 127.0.0.1) draws the time — the browser's clock,
``performance.timeOrigin + performance.now()``, in 0.1 ms units modulo 2^32, plus a 16-bit check — as 48 black or
white 80x80 blocks into a 640x480 canvas 60 times a second, and sends ``canvas.captureStream(30)`` (with the fake
microphone) over WebRTC, VP8 preferred. On each video frame the other page receives
(``requestVideoFrameCallback``), it draws the frame into a canvas, reads the blocks back and takes latency = the time
the compositor expects to show the frame (``expectedDisplayTime``) - the time drawn in it. Frames whose check fails
(blurred blocks, typically while the encoder ramps up) are counted and left out. Both pages are in one browser, so
both ends read the same clock; both directions are measured.

- direct: two pages whose peer connections are connected to each other (SDP passed by the benchmark);
- node: the same two pages joined to a fresh node (agent and citizen tokens; the agent page admits the citizen), once
  per media path asked for (``MEDIA_FORWARDING``: ``rtp``, ``packets``), a fresh node each.

Chromium is Debian's ``/usr/bin/chromium`` through Playwright with ``executable_path`` (no browser is downloaded), with
the flags of LOCAL.md ("WebRTC"), a fresh profile and HOME/TMPDIR in a temp folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.media_servers import start_node, stop_server
from bench.media_tokens import TokenIssuer, serve
from dev.chromium import CHROMIUM, WEBRTC_FLAGS
from dev.chromium import FLAGS as BASE_FLAGS

PAGE = Path(__file__).with_name("glass_page.html")
FLAGS = [*BASE_FLAGS, *WEBRTC_FLAGS]
WARMUP = 4.0
MEASURE = 15.0
CONNECT_TIMEOUT = 20.0
TARGET_RATIO = 1.2  # through the node / direct, p50 (issue 17)

# The block code of the page, mirrored (tests check both agree).
COLS, ROWS, BLOCK = 8, 6, 80
BITS = COLS * ROWS
WRAP = 2**32


def check16(value: int) -> int:
    return ((value >> 16) ^ (value & 0xFFFF) ^ 0xA5A5) & 0xFFFF


def encode_bits(value: int) -> list[int]:
    """32 bits of time then 16 of check, most significant first, one per block in reading order."""
    value &= WRAP - 1
    word = value << 16 | check16(value)
    return [word >> shift & 1 for shift in range(BITS - 1, -1, -1)]


def decode_bits(bits: list[int]) -> int | None:
    if len(bits) != BITS:
        return None
    word = 0
    for bit in bits:
        word = word << 1 | bit
    value, check = word >> 16, word & 0xFFFF
    return value if check16(value) == check else None


def render(value: int) -> bytes:
    """The page's canvas as RGBA pixels (what ``draw`` paints), for tests."""
    bits = encode_bits(value)
    width = COLS * BLOCK
    rows = bytearray()
    for row in range(ROWS):
        line = b"".join((b"\xff\xff\xff\xff" if bits[row * COLS + col] else b"\x00\x00\x00\xff") * BLOCK
                        for col in range(COLS))  # fmt: skip
        rows += line * BLOCK
    assert len(rows) == width * ROWS * BLOCK * 4
    return bytes(rows)


def read_bits(pixels: bytes, width: int) -> list[int]:
    """Mean of the centre half of each block (every 4th pixel), threshold at mid grey — as the page's ``readBits``."""
    bits = []
    for b in range(BITS):
        x0, y0 = (b % COLS) * BLOCK + BLOCK // 4, (b // COLS) * BLOCK + BLOCK // 4
        total = count = 0
        for y in range(y0, y0 + BLOCK // 2, 4):
            for x in range(x0, x0 + BLOCK // 2, 4):
                i = (y * width + x) * 4
                total += pixels[i] + pixels[i + 1] + pixels[i + 2]
                count += 3
        bits.append(1 if total / count > 128 else 0)
    return bits


def stamp(ms: float) -> int:
    return round(ms * 10) % WRAP


def latency_ms(sent: int, received_ms: float) -> float:
    return ((stamp(received_ms) - sent) % WRAP) / 10


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


async def _collect(pages: list[Any]) -> tuple[list[float], int, int]:
    """Wait for both pages to show decodable frames, warm up, then gather latencies of both directions."""
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while True:
        reports = [await p.evaluate("report()") for p in pages]
        if all(r["valid"] > 0 for r in reports):
            break
        if time.monotonic() > deadline:
            states = ", ".join(
                f"{r['connection']} {r['valid']}/{r['frames']} valid frames {r['events']}" for r in reports
            )
            raise RuntimeError(f"no decodable frames within {CONNECT_TIMEOUT:g} s ({states})")
        await asyncio.sleep(0.25)
    await asyncio.sleep(WARMUP)
    for page in pages:
        await page.evaluate("resetSamples()")
    await asyncio.sleep(MEASURE)
    reports = [await p.evaluate("report()") for p in pages]
    samples = [float(s) for r in reports for s in r["samples"]]
    return samples, sum(int(r["valid"]) for r in reports), sum(int(r["invalid"]) for r in reports)


async def _direct(context: Any, url: str) -> tuple[list[float], int, int]:
    pages = [await context.new_page() for _ in range(2)]
    try:
        for page in pages:
            await page.goto(url)
            await page.evaluate("setup()")
        offer = await pages[0].evaluate("makeOffer()")
        answer = await pages[1].evaluate("sdp => acceptOffer(sdp)", offer)
        await pages[0].evaluate("sdp => acceptAnswer(sdp)", answer)
        return await _collect(pages)
    finally:
        for page in pages:
            with contextlib.suppress(Exception):
                await page.evaluate("hangUp(false)")
            await page.close()


async def _through_node(context: Any, url: str, node_url: str, issuer: TokenIssuer) -> tuple[list[float], int, int]:
    tokens = issuer.call_tokens(0, f"g2g{int(time.time())}")
    pages = [await context.new_page() for _ in range(2)]
    try:
        for page in pages:
            await page.goto(url)
            await page.evaluate("setup()")
        for page, role in zip(pages, ("agent", "citizen"), strict=True):
            room, token = tokens[role]
            await page.evaluate("([b, r, t, role]) => joinNode(b, r, t, role)", [node_url, room, token, role])
        return await _collect(pages)
    finally:
        for page, agent in zip(pages, (True, False), strict=True):
            with contextlib.suppress(Exception):
                await page.evaluate("end => hangUp(end)", agent)
            await page.close()


def _line(name: str, result: tuple[list[float], int, int] | str) -> str:
    if isinstance(result, str):
        return f"  {name:<20} could not run: {result}"
    samples, _valid, invalid = result
    fps = len(samples) / MEASURE / 2
    return (
        f"  {name:<20} p50 {percentile(samples, 0.5):6.1f} ms   p95 {percentile(samples, 0.95):6.1f} ms   "
        f"({len(samples)} frames read in both directions, {fps:.1f} fps each way, {invalid} unreadable)"
    )


async def run(tmp: Path, issuer: TokenIssuer, api_url: str, paths: tuple[str, ...] = ("rtp",)) -> None:
    """Print glass-to-glass p50/p95 direct and through the node on each of ``paths``, and the ratios; say why when a
    part cannot run."""
    print(f"Glass-to-glass latency in Chromium ({WARMUP:g} s warm-up, {MEASURE:g} s measured per configuration)")
    try:
        from playwright.async_api import async_playwright
    except ImportError as error:
        print(f"  could not run: Playwright is not installed ({error})")
        return
    if not Path(CHROMIUM).exists():
        print(f"  could not run: no Chromium at {CHROMIUM}")
        return
    home = tmp / "chromium-home"
    home.mkdir()
    app = web.Application()

    async def page(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(PAGE)

    app.router.add_get("/glass.html", page)
    direct: tuple[list[float], int, int] | str
    through: dict[str, tuple[list[float], int, int] | str] = {}
    async with serve(app) as origin, async_playwright() as playwright:
        url = f"{origin}/glass.html"
        try:
            context = await playwright.chromium.launch_persistent_context(
                str(home / "profile"),
                executable_path=CHROMIUM,
                headless=True,
                args=FLAGS,
                env={"HOME": str(home), "TMPDIR": str(home)},
            )
        except Exception as error:  # a browser that cannot start: say so, the load figures stand
            print(f"  could not run: Chromium did not start ({type(error).__name__}: {str(error)[:300]})")
            return
        try:
            try:
                direct = await _direct(context, url)
            except Exception as error:
                direct = f"{type(error).__name__}: {error}"
            for path in paths:
                node = None
                try:
                    node = await start_node(
                        tmp, api_url, recordings=tmp / f"recordings-g2g-{path}", origins=origin, tag=f"g2g-{path}",
                        forwarding=path,
                    )  # fmt: skip
                    through[path] = await _through_node(context, url, node.base_url, issuer)
                except Exception as error:
                    through[path] = f"{type(error).__name__}: {error}"
                finally:
                    if node is not None:
                        await stop_server(node)
        finally:
            await context.close()
    print(_line("browser↔browser", direct))
    for path, result in through.items():
        print(_line(f"b.→node({path})→b.", result))
    for path, result in through.items():
        if isinstance(direct, tuple) and isinstance(result, tuple) and direct[0] and result[0]:
            ratio = percentile(result[0], 0.5) / percentile(direct[0], 0.5)
            verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
            print(f"  {verdict}  through the node ({path}) / direct, p50: {ratio:.2f}x (goal ≤ {TARGET_RATIO:g}x)")
        else:
            print(f"  ratio for {path} not assessed: one configuration has no figures")
