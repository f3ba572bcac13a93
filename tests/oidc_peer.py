"""The test suite's OpenID Connect provider: panva/oidc-provider (OpenID Certified) from npm,
run with Node.js from tests/peers/oidc (`make test` installs it with `npm ci`). Its test
controls (set an account's claims, spoil the next ID tokens) are described in server.mjs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

PEER = Path(__file__).resolve().parent / "peers" / "oidc"
CLIENT_ID = "keel-tests"
CLIENT_SECRET = "keel-tests-secret"


class OidcPeer:
    def __init__(self, redirect_uris: list[str], users: dict[str, dict]) -> None:
        self.redirect_uris = redirect_uris
        self.users = users
        self.process: subprocess.Popen | None = None
        self.issuer = ""

    def start(self) -> OidcPeer:
        if not shutil.which("node") or not (PEER / "node_modules" / "oidc-provider").is_dir():
            message = "Node.js or tests/peers/oidc/node_modules is missing: `make test` runs npm ci"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        client = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": self.redirect_uris,
            "post_logout_redirect_uris": [
                re.sub(r"/accounts/oidc/.*", "/accounts/login/", uri) for uri in self.redirect_uris
            ],
        }
        env = {
            **os.environ,
            "OIDC_PORT": "0",
            "OIDC_CLIENTS": json.dumps([client]),
            "OIDC_USERS": json.dumps(self.users),
        }
        self.process = subprocess.Popen(
            ["node", str(PEER / "server.mjs")], env=env, stdout=subprocess.PIPE, text=True
        )
        first = self.process.stdout.readline()  # {"issuer": ...} once it listens
        self.issuer = json.loads(first)["issuer"]
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def set_user(self, account: str, claims: dict) -> None:
        httpx.put(f"{self.issuer}/_test/users/{account}", json=claims).raise_for_status()

    def spoil_id_tokens(self, mode: str) -> None:
        httpx.put(f"{self.issuer}/_test/mode", json={"mode": mode}).raise_for_status()

    def keel_settings(self, provider_id: str = "test", teams: dict | None = None) -> dict:
        """One OIDC_PROVIDERS entry for this provider."""
        return {
            "id": provider_id,
            "name": "Test IdP",
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scopes": ["openid", "email", "profile", "groups"],
            "teams": teams or {},
        }

    def sign_in(self, authorize_url: str, account: str, back_to: str) -> str:
        """What a person does at the provider: open the authorization URL, type a login
        there; returns the URL the provider sends them back to (starting with `back_to`)."""
        with httpx.Client() as browser:
            url = authorize_url
            for _ in range(10):
                response = browser.get(url)
                if response.status_code == 200 and 'name="prompt" value="login"' in response.text:
                    action = re.search(r'action="([^"]+)"', response.text).group(1)
                    response = browser.post(
                        httpx.URL(url).join(action),
                        data={"prompt": "login", "login": account, "password": "any"},
                    )
                assert response.is_redirect, (response.status_code, response.text[:500])
                url = str(httpx.URL(url).join(response.headers["location"]))
                if url.startswith(back_to):
                    return url
        raise AssertionError("the provider never sent the person back")
