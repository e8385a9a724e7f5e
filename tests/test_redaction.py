"""Credentials echoed by a server are redacted whole, every one ever sent, never parts of words (``_auth.py``)."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import httpx
import pytest

from itsm_async import KloudlessClient, NotFoundError, RetryPolicy, ServerError, SpiceworksClient
from itsm_async._auth import HeaderAuth, api_key_auth, bearer_auth

SPICEWORKS_URL = "https://sw.test"
KLOUDLESS_URL = "https://kl.test/v1"
NEVER = RetryPolicy.never()
#: A ticket with every field the spec says the API always returns.
WHEN = "2024-05-01T09:00:00+00:00"
TICKET = {
    "ticket": {
        "id": 2,
        "summary": "Printer on fire",
        "status": "open",
        "priority": "high",
        "created_at": WHEN,
        "updated_at": WHEN,
    }
}

SHORT = "t"
FOUR = "tick"
LONG = "kJ8sQ2vX9pLm4RtY7wZa1Bc3Df5Gh6Jk0Nq-_.~+"  # 40 characters of the RFC 6750 alphabet
TOKENS = [SHORT, FOUR, LONG]

#: Where a server or proxy may echo a credential; ``{}`` is the credential.
ECHOES = [
    ("{}", "<redacted>"),
    ("'{}'", "'<redacted>'"),
    ('"{}"', '"<redacted>"'),
    ("Bearer {}", "Bearer <redacted>"),
    ("Authorization: Bearer {} rejected", "Authorization: Bearer <redacted> rejected"),
    ("invalid token {}.", "invalid token <redacted>."),
    ("(token {})", "(token <redacted>)"),
    ("https://sw.test/x?access_token={}&page=2", "https://sw.test/x?access_token=<redacted>&page=2"),
    ('{{"token": "{}", "ok": false}}', '{"token": "<redacted>", "ok": false}'),
    ("{0} and again {0}", "<redacted> and again <redacted>"),
    ("GET /x?h=Authorization%3A%20Bearer%20{}%0A", "GET /x?h=Authorization%3A%20Bearer%20<redacted>%0A"),
    ("token={}\nnext line", "token=<redacted>\nnext line"),
]

#: Ordinary text that contains each token only inside longer words: never rewritten.
WORDS = {
    SHORT: [
        "Ticket not found",
        "tickets/42 is not there",
        "at least",
        "t-shirt",
        "state.total",
        "https://sw.test/api/v1/tickets?status=open",
        '{"error": "not_found", "detail": "Ticket 42 does not exist"}',
    ],
    FOUR: [
        "ticket 42 is ticking",
        "Stick with it",
        "lipstick",
        "tick-tock",
        "tickets.json",
        '{"tickets": []}',
    ],
}


@pytest.mark.parametrize("token", TOKENS, ids=["1-char", "4-char", "40-char"])
@pytest.mark.parametrize(("template", "expected"), ECHOES)
def test_an_echoed_token_is_redacted(token: str, template: str, expected: str) -> None:
    assert bearer_auth(token).redact(template.format(token)) == expected


@pytest.mark.parametrize(
    ("token", "text"),
    [(token, text) for token, texts in WORDS.items() for text in texts],
)
def test_words_containing_the_token_are_not_rewritten(token: str, text: str) -> None:
    assert token in text
    assert bearer_auth(token).redact(text) == text


@pytest.mark.parametrize(
    "glued",
    [f"{LONG}x", f"x{LONG}", f"{LONG}==", f"{LONG}.more", f"prefix-{LONG}", f"\\n{LONG}\\n", f"Bearer{LONG}"],
)
def test_a_long_token_is_redacted_even_glued_to_other_text(glued: str) -> None:
    # No ordinary word contains a 40-character credential: wherever it occurs, it is a secret.
    redacted = bearer_auth(LONG).redact(glued)
    assert LONG not in redacted
    assert redacted == glued.replace(LONG, "<redacted>")


def test_sixteen_characters_is_where_a_token_is_redacted_anywhere() -> None:
    sixteen, fifteen = "0123456789abcdef", "0123456789abcde"
    assert bearer_auth(sixteen).redact(f"x{sixteen}x") == "x<redacted>x"
    assert bearer_auth(fifteen).redact(f"x{fifteen}x") == f"x{fifteen}x"
    assert bearer_auth(fifteen).redact(f"x {fifteen} x") == "x <redacted> x"


def test_the_api_key_is_redacted_like_a_token() -> None:
    assert (
        api_key_auth("k").redact("APIKey k is not known to Kloudless") == "APIKey <redacted> is not known to Kloudless"
    )


def test_nothing_to_redact_before_a_provider_is_asked() -> None:
    async def provider() -> str:
        return "t"

    assert HeaderAuth("Bearer", provider).redact("Ticket t") == "Ticket t"


async def test_a_one_character_token_leaves_a_404_message_intact() -> None:
    # Before: "Ticke<redacted> no<redacted> found".
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": "Ticket not found"})

    async with SpiceworksClient(token="t", base_url=SPICEWORKS_URL, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(NotFoundError) as caught:
            await client.tickets.get_ticket(42)
    assert caught.value.message == "Ticket not found"
    assert str(caught.value) == "GET https://sw.test/api/v1/tickets/42 returned 404: Ticket not found"


@pytest.mark.parametrize("token", TOKENS, ids=["1-char", "4-char", "40-char"])
async def test_an_echoed_header_is_redacted_end_to_end(token: str) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text=f"Ticket gateway refused Authorization: {request.headers['Authorization']}")

    async with SpiceworksClient(token=token, base_url=SPICEWORKS_URL, transport=httpx.MockTransport(echo)) as client:
        with pytest.raises(ServerError) as caught:
            await client.with_options(retry=NEVER).tickets.get_ticket(1)
    assert caught.value.message == "Ticket gateway refused Authorization: Bearer <redacted>"


class Tokens:
    """A token provider handing out ``prev-token``, then ``next-token``."""

    def __init__(self) -> None:
        self.handed = ["prev-token", "next-token"]
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        await anyio.lowlevel.checkpoint()
        return self.handed[self.calls - 1]


async def test_a_refreshed_away_token_stays_redacted() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer prev-token":
            return httpx.Response(401, json={"error": "expired"})
        return httpx.Response(500, json={"error": "you sent next-token; prev-token was revoked"})

    provider = Tokens()
    async with SpiceworksClient(token=provider, base_url=SPICEWORKS_URL, transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(ServerError) as caught:
            await c.with_options(retry=NEVER).tickets.get_ticket(1)
    assert provider.calls == 2
    assert caught.value.message == "you sent <redacted>; <redacted> was revoked"


async def test_a_concurrent_refresh_does_not_leak_the_previous_token() -> None:
    # Call A is sent with prev-token and answered slowly; meanwhile call B
    # gets a 401 and refreshes to next-token. A's answer then echoes
    # prev-token, which is no longer the current one.
    refreshed = anyio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        authorization = request.headers["Authorization"]
        if request.url.path.endswith("/1"):
            await refreshed.wait()
            return httpx.Response(500, json={"error": f"upstream rejected {authorization}"})
        if authorization == "Bearer prev-token":
            return httpx.Response(401, json={"error": "expired"})
        refreshed.set()
        return httpx.Response(200, json=TICKET)

    provider = Tokens()
    errors: list[ServerError] = []
    async with SpiceworksClient(token=provider, base_url=SPICEWORKS_URL, transport=httpx.MockTransport(handler)) as c:
        view = c.with_options(retry=NEVER)

        async def slow_call() -> None:
            with pytest.raises(ServerError) as caught:
                await view.tickets.get_ticket(1)
            errors.append(caught.value)

        with anyio.fail_after(5):
            async with anyio.create_task_group() as group:
                group.start_soon(slow_call)
                await anyio.lowlevel.checkpoint()
                await view.tickets.get_ticket(2)
    assert provider.calls == 2
    assert errors[0].message == "upstream rejected Bearer <redacted>"
    assert "prev-token" not in str(errors[0])
    assert b"prev-token" in errors[0].body  # the raw body is kept as it came


def test_every_token_of_a_long_lifetime_is_redacted() -> None:
    auth = bearer_auth("first")
    auth._remember("second")  # as a refresh does
    auth._remember("third-and-longest")
    assert auth.redact("first second third-and-longest firsts") == "<redacted> <redacted> <redacted> firsts"


def test_a_token_inside_a_longer_one_is_redacted_as_the_longer_one() -> None:
    auth = bearer_auth("abc")
    auth._remember("abc.def")
    assert auth.redact("sent abc.def, then abc.") == "sent <redacted>, then <redacted>."


@pytest.mark.parametrize("token", [FOUR, LONG], ids=["4-char", "40-char"])
async def test_reprs_never_show_the_token(token: str) -> None:
    auth = bearer_auth(token)
    assert repr(auth) == "HeaderAuth(scheme='Bearer', credential=<static, redacted>)"
    assert token not in repr(auth)
    async with SpiceworksClient(token=token, base_url=SPICEWORKS_URL) as sw:
        assert repr(sw) == "SpiceworksClient(base_url='https://sw.test')"
        assert token not in repr(sw)
    async with KloudlessClient(account_id="123", api_key=token, base_url=KLOUDLESS_URL) as kl:
        assert repr(kl) == "KloudlessClient(account_id='123', base_url='https://kl.test/v1/')"
        assert token not in repr(kl)


async def test_a_one_character_token_is_not_in_the_reprs_either() -> None:
    # "t" occurs in any URL; what matters is that the repr holds no credential at all.
    async with SpiceworksClient(token=SHORT, base_url=SPICEWORKS_URL) as sw:
        assert repr(sw) == "SpiceworksClient(base_url='https://sw.test')"
        assert repr(sw._auth) == "HeaderAuth(scheme='Bearer', credential=<static, redacted>)"
