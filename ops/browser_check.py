#!/usr/bin/python3
"""Drives one chromium tab over the DevTools protocol for ops/browser-check; every wait has a deadline.

Run by ops/browser-check with Debian's python3 (for python3-websocket). That script starts the
server and chromium and passes, in the environment: DEVTOOLS_PORT, BASE (the server), OUT (the
screenshot directory), SERVER_LOG (read for sign-in codes), POINTS (points per claim) and CODES
(name=code pairs). Exits 1 if any check failed.
"""
import base64, json, os, re, sys, time, urllib.error, urllib.request
import websocket  # Debian's python3-websocket

TIMEOUT = 15  # seconds for any one step
W, H = 390, 844
BASE, OUT, LOG = os.environ["BASE"], os.environ["OUT"], os.environ["SERVER_LOG"]
CODES = dict(pair.split("=") for pair in os.environ["CODES"].split())
POINTS = os.environ["POINTS"]
failures = []


class Tab:
    def __init__(self, port):
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=TIMEOUT))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=TIMEOUT, suppress_origin=True)
        self.last_id, self.events, self.name = 0, [], "start"
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=W, height=H, deviceScaleFactor=2, mobile=True)
        self.call("Emulation.setUserAgentOverride", userAgent="Mozilla/5.0 (Linux; Android 14; Pixel 8) "
                  "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36 tally-browser-check")

    def receive(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"{self.name}: no answer from chromium within {TIMEOUT} s")
        self.ws.settimeout(remaining)
        message = json.loads(self.ws.recv())
        method = message.get("method")
        if method == "Runtime.exceptionThrown":
            failures.append(f"{self.name}: script error: {message['params']['exceptionDetails'].get('text')}")
        elif method == "Log.entryAdded" and message["params"]["entry"]["level"] == "error":
            print(f"  note {self.name}: console: {message['params']['entry']['text']}")
        elif method:
            self.events.append(method)
        return message

    def call(self, method, **params):
        self.last_id += 1
        self.ws.send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self.receive(deadline)
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def js(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{self.name}: {result['exceptionDetails'].get('text')}: {expression[:80]}")
        return result["result"].get("value")

    def loads(self, action):
        """Runs action (a navigation, a click that submits) and waits for the next page's load."""
        self.events.clear()
        action()
        deadline = time.monotonic() + TIMEOUT
        while "Page.loadEventFired" not in self.events:
            self.receive(deadline)

    def goto(self, path):
        def navigate():
            error = self.call("Page.navigate", url=BASE + path).get("errorText")
            if error:
                raise RuntimeError(f"{path}: {error}")
        self.loads(navigate)

    def click(self, selector):
        """A real mouse click in the middle of the element, scrolled into view first."""
        point = self.js(f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
            if (!e) return null; e.scrollIntoView({{block: "center"}});
            const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()""")
        if point is None:
            raise AssertionError(f"{self.name}: no {selector} on the page")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=point[0], y=point[1], button="left", clickCount=1)

    def type(self, selector, text):
        self.click(selector)
        self.call("Input.insertText", text=text)

    def check(self, lang, tone, present=(), absent=()):
        """The page's language, the state card's tone (good/warn/bad/info), elements that
        must (not) be there, nothing wider than the screen, a working language link."""
        page = self.js("""(() => { const s = document.querySelector("section.state");
            const wide = [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > innerWidth + 0.5)
                .map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "")).slice(0, 5);
            return {lang: document.documentElement.lang, tone: s ? s.className : "none",
                    heading: s ? s.querySelector("h1").innerText : "", wide: wide,
                    height: document.documentElement.scrollHeight}; })()""")
        problems = []
        if not page["lang"].startswith(lang):
            problems.append(f"html lang is {page['lang']!r}, not {lang}")
        if tone not in page["tone"].split():
            problems.append(f"state card is {page['tone']!r}, not {tone}")
        problems += [f"no {s}" for s in present if not self.js(f"!!document.querySelector({json.dumps(s)})")]
        problems += [f"unexpected {s}" for s in absent if self.js(f"!!document.querySelector({json.dumps(s)})")]
        if page["wide"]:
            problems.append(f"wider than the screen: {', '.join(page['wide'])}")
        # The language link must lead to a page (fetched without cookies: it sets the language).
        switch = self.js('document.querySelector("header a")?.getAttribute("href")')
        try:
            status = urllib.request.urlopen(BASE + switch, timeout=TIMEOUT).status if switch else "missing"
        except urllib.error.HTTPError as error:
            status = error.code
        if status != 200:
            problems.append(f"language link {switch} answers {status}")
        for problem in problems:
            failures.append(f"{self.name}: {problem}")
        return page

    def shot(self, name, lang, tone, present=(), absent=()):
        """Checks the page, then saves it whole (beyond the first screen if it is longer)."""
        self.name = f"{name}-{lang}"
        page = self.check(lang, tone, present, absent)
        self.js("document.activeElement?.blur(); window.scrollTo(0, 0)")
        height = max(H, page["height"])
        params = {"format": "png"}
        if height > H:
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": W, "height": height, "scale": 1})
        data = self.call("Page.captureScreenshot", **params)["data"]
        path = os.path.join(OUT, f"{self.name}.png")
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        fold = "one screen" if height <= H else f"{height} px, longer than one screen"
        print(f"  {self.name + '.png':28} {page['heading']}  ({fold})")


def one_time_code(phone, since, deadline):
    """The sign-in code for phone from the server log (log delivery), written after offset since."""
    while time.monotonic() < deadline:
        with open(LOG, encoding="utf-8", errors="replace") as f:
            f.seek(since)
            for line in reversed(f.read().splitlines()):
                if phone in line and (m := re.search(r"\bcode=(\d{6})\b", line)):
                    return m.group(1)
        time.sleep(0.2)
    raise TimeoutError(f"no sign-in code for {phone} in the server log within {TIMEOUT} s")


def claim_through_browser(tab, lang, code, phone):
    """Signed out: open the code, type the phone, type the code from the log, claim."""
    tab.call("Network.clearBrowserCookies")
    tab.name = f"claim-{lang}"
    tab.goto(f"/Q/{code}?lang={lang}")
    tab.type("#phone", phone)
    tab.shot("10-signin-typed", lang, "good", present=["#phone"])
    since = os.path.getsize(LOG)
    tab.loads(lambda: tab.click("form[action='/signin/code'] button[type=submit]"))
    tab.shot("11-one-time-code", lang, "info", present=["#otp"])
    otp = one_time_code("+86" + phone, since, time.monotonic() + TIMEOUT)
    tab.type("#otp", otp)
    tab.loads(lambda: tab.click("form[action='/signin/verify'] button[type=submit]"))
    claim_form = "form[action$='/claim']"
    tab.shot("12-claim-form", lang, "good", present=[claim_form], absent=["#phone"])
    tab.loads(lambda: tab.click(claim_form + " button[type=submit]"))
    tab.shot("13-claimed", lang, "good", present=[".big"], absent=[claim_form])
    earned, balance = tab.js("""[document.querySelector(".big").innerText,
        document.querySelector(".big").nextElementSibling.innerText]""")
    for what, text in (("points earned", earned), ("balance", balance)):
        if not re.search(rf"\b{POINTS}\b", text):
            failures.append(f"{tab.name}: {what} {text!r} does not show {POINTS}")
    tab.goto(f"/Q/{code}?lang={lang}")
    tab.shot("14-claimed-by-you", lang, "good", absent=[claim_form, "#phone"])
    # /me: the points just claimed pay for the sticker set once.
    redeem = "form[action='/me/redeem']"
    tab.loads(lambda: tab.click("footer a[href='/me']"))
    tab.shot("15-me", lang, "info", present=[redeem], absent=["#phone"])
    tab.loads(lambda: tab.click(redeem + " button[type=submit]"))
    tab.shot("16-redeemed", lang, "good", present=[".voucher"], absent=[redeem])
    tab.goto(f"/me?lang={lang}")
    tab.shot("17-me-after", lang, "info", present=[".rows .code"], absent=[redeem])


tab = Tab(int(os.environ["DEVTOOLS_PORT"]))
try:
    for lang in ("zh", "en"):
        states = [  # (name, code, tone, must be there)
            ("01-genuine-unclaimed", CODES["unclaimed"], "good", ["#phone"]),
            ("02-typo", CODES["typo"], "warn", ["#typed"]),
            ("03-forged", CODES["forged"], "bad", []),
            ("04-not-active", CODES["created"], "warn", []),
            ("05-voided", CODES["voided"], "bad", []),
            ("06-expired", CODES["expired"], "warn", []),
            # Signed out, the visitor may be the one who claimed it elsewhere: a warning and a sign-in form.
            ("07-claimed-by-other", CODES["other"], "warn", ["#phone"]),
        ]
        for name, code, tone, present in states:
            tab.name = f"{name}-{lang}"
            tab.goto(f"/Q/{code}?lang={lang}")
            tab.shot(name, lang, tone, present)
        tab.goto(f"/me?lang={lang}")
        tab.shot("08-me-signed-out", lang, "info", ["#phone"])
        tab.goto(f"/Q?lang={lang}")  # last: the code is typed into this page below
        tab.shot("09-manual-entry", lang, "info", ["#typed"])
    # A code typed by hand, in lower case and grouped, leads to its page.
    code = CODES["typed"]
    tab.type("#typed", f"{code[:6]}-{code[6:12]}-{code[12:]}".lower())
    tab.loads(lambda: tab.click("form[action='/Q'] button[type=submit]"))
    if not tab.js("location.pathname").endswith(f"/Q/{code}"):
        failures.append(f"manual entry: typed code led to {tab.js('location.href')}")
    claim_through_browser(tab, "zh", CODES["unclaimed"], "13800138000")
    claim_through_browser(tab, "en", CODES["second"], "13800138001")
except Exception as error:  # a step that could not run at all
    failures.append(f"{tab.name}: {type(error).__name__}: {error}")

for failure in failures:
    print(f"  FAIL {failure}", file=sys.stderr)
sys.exit(1 if failures else 0)
