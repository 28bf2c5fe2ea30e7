"""`fidoconf serve` as a real process: uvicorn on a free loopback port, a temporary SQLite file, real HTTP.

Covers the issue's end-to-end "Done when" lines: enroll(fido2) → attestation → status succeeded → introspect
active for none, packed self and packed x5c; the app channel's PNG QR code decodes (zxing-cpp) to the appLinkUri
and completes through the dispatch token; and a SIGKILL after N acknowledged registrations loses none of them.
"""

from __future__ import annotations

import base64
import os
import queue
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fidoconf.conformance.authenticator import ca
from fidoconf.conformance.authenticator.authenticator import make_credential
from fidoconf.verifier.encoding import b64url_decode

from .rp_support import NevisApi, dispatch_token_of

RP_ID = "localhost"
STARTUP_TIMEOUT_S = 30


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str
    port: int
    access_key: str
    banner: list[str]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=15)


def _fidoconf() -> list[str]:
    script = Path(sys.executable).with_name("fidoconf")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fidoconf.conformance.cli"]


def start_server(data_dir: Path, *, port: int = 0, extra: tuple[str, ...] = ()) -> Server:
    command = [*_fidoconf(), "serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(data_dir / "rp.sqlite3")]
    command += ["--rp-id", RP_ID, *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    banner = _read_banner(process)
    base_url = next(line.rsplit(" ", 1)[1] for line in banner if " listening on " in line)
    key = (data_dir / "access-key").read_text().strip()
    return Server(process, base_url, int(base_url.rstrip("/").rsplit(":", 1)[1]), key, banner)


def _read_banner(process: subprocess.Popen) -> list[str]:
    """The lines printed up to 'access key: ...'; the rest of the output is drained in the background."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    banner: list[str] = []
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not any(line.startswith("access key:") for line in banner):
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            raise AssertionError(f"fidoconf serve did not start in {STARTUP_TIMEOUT_S} s: {banner}") from None
        if line is None:
            raise AssertionError(f"fidoconf serve exited {process.wait()}: {banner}")
        banner.append(line)
    return banner


@pytest.fixture(scope="module")
def trust_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("trust")
    ca.export_trust(directory, pki=ca.TestPKI(), authenticators=[])
    return directory


@pytest.fixture(scope="module")
def server(tmp_path_factory, trust_dir) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("rp"), extra=("--trust-dir", str(trust_dir)))
    yield running
    running.stop()


@pytest.fixture
def api(server) -> Iterator[NevisApi]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield NevisApi(client, server.access_key)


def origin_of(server: Server) -> str:
    return f"http://localhost:{server.port}"


def credential_for(server: Server, options: dict, fmt: str, seed: str) -> dict:
    challenge = b64url_decode(options["challenge"], field="challenge")
    bundle = make_credential(
        rp_id=RP_ID, origin=origin_of(server), challenge=challenge, fmt=fmt, alg="ES256", seed=seed
    )
    return bundle.credential


def test_serve_banner_says_where_the_access_key_comes_from(server):
    assert server.banner[0].startswith("fidoconf reference RP (nevis-cloud) listening on http://127.0.0.1:")
    assert any(line.startswith("access key: generated and stored in ") for line in server.banner)
    assert any(line == f"rp id: localhost; origins: {origin_of(server)}" for line in server.banner)


@pytest.mark.parametrize(("fmt", "attestation_type", "trusted"), [
    ("none", "none", False), ("packed-self", "self", False), ("packed-x5c", "basic", True),
])  # fmt: skip
def test_fido2_channel_end_to_end(server, api, fmt, attestation_type, trusted):
    enrolled = api.enroll_fido2(f"http-{fmt}")
    enrollment = enrolled["enrollment"]
    cred = credential_for(server, enrollment["credentialCreationOptions"], fmt, seed=f"http-{fmt}")
    answer = api.attest(cred, enrollment["statusToken"], userFriendlyName=fmt)
    assert answer["status"] == "ok", answer
    status = api.status(enrollment["statusToken"])
    assert status["status"] == "succeeded" and status["transactionId"] == enrollment["transactionId"]
    info = api.introspect(status["token"])
    assert info["active"] is True and info["sub"] == enrolled["userId"] and info["iss"] == server.base_url
    (authenticator,) = api.user(enrolled["userId"]).json()["authenticators"]
    assert authenticator["fido2"]["attestationType"] == attestation_type
    assert authenticator["fido2"]["trusted"] is trusted


def test_app_channel_qr_code_decodes_to_the_app_link_and_completes(server, api):
    enrollment = api.enroll({"username": "http-app", "channel": "app"}).json()["enrollment"]
    qr = enrollment["qrCode"]
    assert qr["type"] == "image/png"
    png = base64.b64decode(qr["dataUri"].removeprefix("data:image/png;base64,"), validate=True)
    width, height, pixels = decode_png_gray(png)
    assert width == height == qr["size"]
    assert decode_qr(width, height, pixels) == enrollment["appLinkUri"]
    assert enrollment["appLinkUri"].startswith(server.base_url + "open?dispatchTokenResponse=")
    redeemed = api.redeem(dispatch_token_of(enrollment["appLinkUri"]))
    assert redeemed["status"] == "ok"
    cred = credential_for(server, redeemed["credentialCreationOptions"], "packed-self", seed="http-app")
    assert api.attest(cred, redeemed["statusToken"])["status"] == "ok"
    status = api.status(enrollment["statusToken"])
    assert status["status"] == "succeeded"
    assert api.introspect(status["token"])["active"] is True


def test_acknowledged_registrations_survive_sigkill(tmp_path):
    registrations = 5
    first = start_server(tmp_path)
    acknowledged: list[tuple[str, str]] = []
    try:
        with httpx.Client(base_url=first.base_url, timeout=30) as client:
            api = NevisApi(client, first.access_key)
            for n in range(registrations):
                enrolled = api.enroll_fido2(f"durable-{n}")
                options = enrolled["enrollment"]["credentialCreationOptions"]
                cred = credential_for(first, options, "packed-self", seed=f"durable-{n}")
                assert api.attest(cred, enrolled["enrollment"]["statusToken"])["status"] == "ok"
                acknowledged.append((enrolled["userId"], cred["id"]))
    finally:
        first.stop(signal.SIGKILL)  # no shutdown hook runs: only what was committed before each answer remains
    assert first.process.returncode == -signal.SIGKILL
    second = start_server(tmp_path, port=first.port)
    try:
        assert any(line.startswith("access key: read from ") for line in second.banner)
        with httpx.Client(base_url=second.base_url, timeout=30) as client:
            api = NevisApi(client, second.access_key)
            found = []
            for user_id, _ in acknowledged:
                user = api.user(user_id)
                assert user.status_code == 200
                found += [(user_id, a["fido2"]["credentialId"]) for a in user.json()["authenticators"]]
            assert found == acknowledged
    finally:
        second.stop()


# --- PNG and QR decoding (test-only) -------------------------------------------------------------------------


def decode_qr(width: int, height: int, pixels: bytes) -> str:
    import zxingcpp  # test-only dependency (pyproject [dev]): an independent QR decoder

    results = zxingcpp.read_barcodes(memoryview(pixels).cast("B", (height, width)))
    assert len(results) == 1, results
    return results[0].text


def decode_png_gray(png: bytes) -> tuple[int, int, bytes]:
    """A minimal PNG reader (RFC 2083) for 8-bit-or-less greyscale or palette images → 8-bit grey pixels."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, palette = 8, b"", None
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        assert zlib.crc32(kind + data) == struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])[0]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data)
            assert colour in (0, 3) and depth in (1, 2, 4, 8) and interlace == 0
        elif kind == b"PLTE":
            palette = [sum(data[i : i + 3]) // 3 for i in range(0, len(data), 3)]
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = (width * depth + 7) // 8
    rows, previous, offset = [], bytes(stride), 0
    for _ in range(height):
        kind, line = raw[offset], bytearray(raw[offset + 1 : offset + 1 + stride])
        offset += 1 + stride
        _unfilter(kind, line, previous, bpp=1)
        rows.append(bytes(line))
        previous = bytes(line)
    out = bytearray()
    maximum = (1 << depth) - 1
    for row in rows:
        for x in range(width):
            bit = x * depth
            value = (row[bit // 8] >> (8 - depth - bit % 8)) & maximum
            out.append(palette[value] if palette is not None else value * 255 // maximum)
    return width, height, bytes(out)


def _unfilter(kind: int, line: bytearray, previous: bytes, *, bpp: int) -> None:
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up, up_left = previous[i], previous[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            p = left + up - up_left
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
            predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
            line[i] = (line[i] + predictor) & 0xFF


if os.name != "posix":  # SIGKILL and the selector on a pipe are POSIX
    pytestmark = pytest.mark.skip(reason="needs POSIX signals")


def test_cli_without_a_command_prints_help_and_exits_2(capsys):
    from fidoconf.conformance.cli import main

    assert main([]) == 2
    assert "serve" in capsys.readouterr().err


def test_serve_exits_2_when_the_port_is_taken(tmp_path, capsys):
    import socket

    from fidoconf.conformance.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port), "--db", str(tmp_path / "rp.sqlite3")]) == 2
    assert f"cannot bind 127.0.0.1:{port}" in capsys.readouterr().err
