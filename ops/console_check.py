#!/usr/bin/python3
"""Drives one chromium tab over the DevTools protocol for ops/console-check and ops/console-screens.

Run by ops/console-check with Debian's python3 (for python3-websocket). That script starts the
server and chromium and passes, in the environment: DEVTOOLS_PORT, BASE (the server), OUT (where
screenshots go), MODE (check or screens), STAFF (a file of "role name password totp-secret|-"
lines), MEMBERS, BATCHES (name=id pairs), PREVIEW_CODE (an unclaimed code) and ADMIN_KEY (an
admin API key, to see what the flows changed). Every wait has a deadline. Prints what failed and
a summary; exits 1 if any check failed.
"""
import base64, csv, hashlib, hmac, io, json, os, re, struct, sys, time, urllib.request
import websocket  # Debian's python3-websocket

TIMEOUT = 20  # seconds for any one step
LAPTOP, TABLET = ("laptop", 1366, 900, False), ("tablet", 820, 1180, True)
BASE, OUT, MODE = os.environ["BASE"], os.environ["OUT"], os.environ.get("MODE", "check")
MEMBERS = dict(pair.split("=") for pair in os.environ.get("MEMBERS", "").split())
BATCHES = dict(pair.split("=") for pair in os.environ.get("BATCHES", "").split())
PREVIEW_CODE = os.environ.get("PREVIEW_CODE", "")
STAFF = {}
with open(os.environ["STAFF"]) as f:
    for line in f:
        role, name, password, secret = line.split()
        STAFF[role] = {"name": name, "password": password, "secret": None if secret == "-" else secret, "step": None}

# The navigation each role is shown (StaffRole.permissions → ConsoleSection.permission).
ALL = ["/console", "/console/regions", "/console/alerts", "/console/members", "/console/campaigns", "/console/rewards",
       "/console/packaging", "/console/programme", "/console/webhooks", "/console/api-keys", "/console/liability", "/console/audit"]
ADMIN_ONLY = ["/console/webhooks", "/console/api-keys", "/console/audit"]
READING = [href for href in ALL if href not in ADMIN_ONLY]
NAV = {"viewer": READING, "service": READING, "marketer": READING, "packaging": READING, "admin": ALL}

failures, notes = [], []
counts = {"pages": 0, "csv": 0, "keyboard": 0, "flows": 0, "screens": 0}


def fail(where, problem):
    failures.append(f"{where}: {problem}")
    print(f"  FAIL {where}: {problem}", file=sys.stderr)


def totp(secret, step):
    """RFC 6238 (SHA-1, 6 digits, 30 s steps) for time step `step`, as `oathtool --totp -b` computes it."""
    key = base64.b32decode(secret.upper().replace(" ", "") + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


# Facts about the page on screen, for the checks and the report.
FACTS_JS = r"""(() => {
    const describe = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
        (typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\s+/).join(".") : "") +
        (e.getAttribute("name") ? `[name=${e.getAttribute("name")}]` : "") +
        (e.innerText ? ` "${e.innerText.trim().slice(0, 30)}"` : "");
    const nav = performance.getEntriesByType("navigation")[0];
    const wide = [...document.querySelectorAll("body *")].filter(e => {
        if (e.closest(".table")) return false;  // a table's box scrolls sideways: its contents may be wider
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && r.right > innerWidth + 0.5;
    }).map(describe).slice(0, 5);
    const unlabelled = [...document.querySelectorAll("input, select, textarea")].filter(e =>
        !["hidden", "submit", "button", "reset", "image"].includes(e.type) && !(e.labels && e.labels.length) &&
        !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby")).map(describe);
    // Charts and images with a name for screen readers; tables with a caption.
    const unnamed = [...document.querySelectorAll("main svg, main img")].filter(e => !e.parentElement.closest("svg") &&
        e.getAttribute("aria-hidden") !== "true" && (e.tagName === "IMG" ? !e.hasAttribute("alt") :
        !(e.getAttribute("aria-label") || e.getAttribute("aria-labelledby") || e.querySelector("title")))).map(describe);
    const uncaptioned = [...document.querySelectorAll("main table")].filter(t => !t.caption?.innerText.trim() &&
        !t.getAttribute("aria-label")).map(describe);
    // The smallest text of a chart as drawn (an SVG's text scales with the box it is drawn in).
    const chartText = [...document.querySelectorAll("main svg text")].map(t =>
        (t.getScreenCTM()?.a ?? 1) * parseFloat(getComputedStyle(t).fontSize)).filter(size => size > 0);
    const broken = [...document.querySelectorAll("img")].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute("src"));
    return {status: nav ? nav.responseStatus : null, chartText: chartText.length ? Math.min(...chartText) : null, unnamed: unnamed, uncaptioned: uncaptioned, broken: broken, path: location.pathname + location.search, lang: document.documentElement.lang,
            h1: [...document.querySelectorAll("h1")].map(e => e.innerText.trim()), wide: wide, unlabelled: unlabelled,
            scrollWidth: document.documentElement.scrollWidth, width: innerWidth, height: document.documentElement.scrollHeight,
            current: document.querySelector("header nav a[aria-current=page]")?.getAttribute("href") ?? null,
            nav: [...document.querySelectorAll("header nav a")].map(a => a.getAttribute("href")),
            alert: document.querySelector("[role=alert]")?.innerText.trim() ?? null,
            notice: document.querySelector(".notice.good")?.innerText.trim() ?? null,
            posts: [...document.querySelectorAll("form")].filter(f => f.method === "post").map(f => f.getAttribute("action"))};
})()"""

# The focused element, for the keyboard check.
FOCUS_JS = r"""(() => { const e = document.activeElement; if (!e || e === document.body) return null;
    const r = e.getBoundingClientRect();
    return {tag: e.tagName.toLowerCase(), cls: typeof e.className === "string" ? e.className : "", href: e.getAttribute("href"),
            nav: !!e.closest("header nav"), signout: !!e.closest("form[action='/console/sign-out']"),
            visible: r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight}; })()"""

# Every CSV link on the page: where it points, what it reads, and the table it exports.
EXPORTS_JS = r"""[...document.querySelectorAll("a[href*='format=csv']")].map(a => {
    const box = a.closest(".export")?.previousElementSibling;
    const table = box?.querySelector("table") ?? document.querySelector(".table table");
    return {href: a.getAttribute("href"), text: a.innerText.trim(), download: a.hasAttribute("download"),
            headers: table ? [...table.querySelectorAll("thead th")].map(th => th.innerText.trim()) : null,
            shown: table ? table.querySelectorAll("tbody tr:not(:has(td.empty))").length : 0}; })"""


class Tab:
    def __init__(self, port):
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=TIMEOUT))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=TIMEOUT, suppress_origin=True)
        self.last_id, self.events, self.errors, self.document, self.name = 0, [], [], None, "start"
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setFocusEmulationEnabled", enabled=True)  # focus and :focus as in a visible window
        self.viewport(LAPTOP)

    def viewport(self, which):
        self.size = which
        _, width, height, mobile = which
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)

    def receive(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"{self.name}: no answer from chromium within {TIMEOUT} s")
        self.ws.settimeout(remaining)
        message = json.loads(self.ws.recv())
        method = message.get("method")
        if method == "Runtime.exceptionThrown":
            details = message["params"]["exceptionDetails"]
            self.errors.append(f"script error: {details.get('exception', {}).get('description') or details.get('text')}")
        elif method == "Log.entryAdded" and message["params"]["entry"]["level"] == "error":
            entry = message["params"]["entry"]
            if entry.get("source") in ("javascript", "security", "violation"):  # a script error, a CSP refusal
                self.errors.append(f"console {entry.get('source')}: {entry['text']}")
        elif method == "Network.responseReceived" and message["params"]["type"] == "Document":
            response = message["params"]["response"]
            self.document = (response["status"], response["url"])
        elif method:
            self.events.append(message)
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

    def js(self, expression, wait=False):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=wait)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{self.name}: {result['exceptionDetails'].get('text')}: {expression[:80]}")
        return result["result"].get("value")

    def loads(self, action):
        """Runs action (a navigation, a click that submits) and waits for the next page's load."""
        self.events.clear()
        self.errors.clear()
        self.document = None
        action()
        deadline = time.monotonic() + TIMEOUT
        while not any(event["method"] == "Page.loadEventFired" for event in self.events):
            self.receive(deadline)
        return self.facts()

    def download(self, selector, folder):
        """Clicks a download link; waits for the file; returns its path."""
        self.call("Page.setDownloadBehavior", behavior="allow", downloadPath=folder)
        self.events.clear()
        self.click(selector)
        deadline = time.monotonic() + TIMEOUT
        name = None
        while True:
            for event in self.events:
                if event["method"] == "Page.downloadWillBegin":
                    name = event["params"]["suggestedFilename"]
                elif event["method"] == "Page.downloadProgress" and event["params"]["state"] in ("completed", "canceled"):
                    if event["params"]["state"] == "canceled":
                        raise AssertionError(f"download of {selector} canceled")
                    return os.path.join(folder, name)
            self.events.clear()
            self.receive(deadline)

    def goto(self, path):
        def navigate():
            error = self.call("Page.navigate", url=BASE + path).get("errorText")
            if error and error != "net::ERR_HTTP_RESPONSE_CODE_FAILURE":  # an error status with an empty body
                raise RuntimeError(f"{path}: {error}")
        return self.loads(navigate)

    def facts(self):
        # Widths against the screen's, not innerWidth: a mobile browser zooms out to fit a page
        # wider than the screen, and innerWidth grows with it.
        facts = self.js(FACTS_JS.replace("innerWidth", str(self.size[1])))
        if self.document:  # the status and address of the document as received (chromium shows its own page for an empty error)
            facts["status"] = self.document[0]
            facts["path"] = re.sub(r"^https?://[^/]+", "", self.document[1])
        return facts

    def point(self, selector):
        point = self.js(f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
            if (!e) return null; e.scrollIntoView({{block: "center"}});
            const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()""")
        if point is None:
            raise AssertionError(f"no {selector} on {self.js('location.pathname')}")
        return point

    def click(self, selector):
        """A real mouse click in the middle of the element, scrolled into view first."""
        x, y = self.point(selector)
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type(self, selector, text):
        """Clicks into the field, selects what is there and types over it."""
        self.click(selector)
        self.js(f"document.querySelector({json.dumps(selector)}).select?.()")
        self.call("Input.insertText", text=text)

    def fill(self, form, fields):
        """Fills the fields of `form` by name as a person would: typed into text fields,
        ticked boxes clicked, options picked; dates set (chromium's date pickers take no typing)."""
        for name, value in fields.items():
            selector = f"{form} [name={json.dumps(name)}]"
            kind = self.js(f"document.querySelector({json.dumps(selector)})?.type ?? null")
            if kind is None:
                raise AssertionError(f"no field {name} in {form} on {self.js('location.pathname')}")
            if kind == "checkbox":
                if self.js(f"document.querySelector({json.dumps(selector)}).checked") != bool(value):
                    self.click(selector)
            elif kind.startswith("select"):
                self.choose(selector, value)
            elif kind in ("date", "datetime-local", "time"):
                self.js(f"""(() => {{ const e = document.querySelector({json.dumps(selector)}); e.value = {json.dumps(value)};
                    e.dispatchEvent(new Event("input", {{bubbles: true}})); e.dispatchEvent(new Event("change", {{bubbles: true}})); }})()""")
            else:
                self.type(selector, value)

    def choose(self, selector, value):
        """Picks an option of a select (as a keyboard or mouse would), firing its change event."""
        found = self.js(f"""(() => {{ const s = document.querySelector({json.dumps(selector)}); if (!s) return false;
            s.value = {json.dumps(value)}; s.dispatchEvent(new Event("input", {{bubbles: true}}));
            s.dispatchEvent(new Event("change", {{bubbles: true}})); return s.value === {json.dumps(value)}; }})()""")
        if not found:
            raise AssertionError(f"no option {value!r} in {selector}")

    def submit(self, button_selector):
        return self.loads(lambda: self.click(button_selector))

    def tab_key(self):
        for kind in ("rawKeyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key="Tab", code="Tab", windowsVirtualKeyCode=9, nativeVirtualKeyCode=9)
        return self.js(FOCUS_JS)

    def screenshot(self, filename, height):
        """The page whole (beyond the first screen if it is longer), at most 8,000 px."""
        self.js("document.activeElement?.blur(); window.scrollTo(0, 0)")
        _, width, screen, _ = self.size
        height = min(max(screen, height), 8000)
        params = {"format": "png"}
        if height > screen:
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        data = self.call("Page.captureScreenshot", **params)["data"]
        with open(os.path.join(OUT, filename), "wb") as f:
            f.write(base64.b64decode(data))


def check_page(tab, where, facts, lang, status=200, current=None):
    """The checks every console page passes: status, language, one h1, the nav marks the page,
    no script errors, nothing wider than the screen (but inside a .table), a label for every
    input, a name for every chart and image, a caption for every table."""
    counts["pages"] += 1
    if facts["status"] != status:  # the rest would only repeat it
        fail(where, f"status {facts['status']}, expected {status} ({facts['path']})")
        return False
    problems = []
    if not facts["lang"].startswith(lang):
        problems.append(f"html lang {facts['lang']!r}, expected {lang}")
    if len(facts["h1"]) != 1 or not facts["h1"][0]:
        problems.append(f"expected one h1 with text, found {facts['h1']}")
    if current and facts["current"] != current:
        problems.append(f"the navigation marks {facts['current']} as the current page, not {current}")
    problems += tab.errors
    if facts["wide"] or facts["scrollWidth"] > facts["width"] + 1:
        problems.append(f"wider than the {facts['width']} px screen ({facts['scrollWidth']} px): {', '.join(facts['wide']) or '?'}")
    if facts["unlabelled"]:
        problems.append(f"inputs without a label: {', '.join(facts['unlabelled'][:5])}")
    if facts["unnamed"]:
        problems.append(f"charts or images without a name for screen readers: {', '.join(facts['unnamed'][:5])}")
    if facts["broken"]:
        problems.append(f"images that did not load: {', '.join(facts['broken'][:5])}")
    if facts["uncaptioned"]:
        problems.append(f"tables without a caption: {', '.join(facts['uncaptioned'][:5])}")
    if facts["chartText"] is not None and facts["chartText"] < 9:  # judged by eye: a note, not a failure
        notes.append(f"{where}: chart text drawn as small as {facts['chartText']:.1f} px")
    for problem in problems:
        fail(where, problem)
    if problems and MODE == "check":
        tab.screenshot(f"fail-{len(failures):02d}.png", facts["height"])
        print(f"       (screenshot: fail-{len(failures):02d}.png)", file=sys.stderr)
    return not problems


def check_keyboard(tab, where, nav):
    """From the top of a freshly loaded page, Tab reaches the skip link first (shown when
    focused), then every navigation link, then the sign-out button."""
    counts["keyboard"] += 1
    focused = tab.js(FOCUS_JS)
    if focused:  # an autofocused field (a search box): start from the top of the page all the same
        notes.append(f"{where}: opens with the focus in a field (autofocus; the walk starts from the top all the same)")
        tab.js("(() => { const root = document.documentElement; root.tabIndex = -1; root.focus(); root.removeAttribute('tabindex'); })()")
    first = tab.tab_key()
    if not first or "skip" not in first["cls"].split():
        fail(where, f"the first Tab focuses {first}, not the skip link")
    elif not first["visible"]:
        fail(where, "the skip link stays off screen when focused")
    reached = set()
    for _ in range(len(nav) + 20):
        focused = tab.tab_key()
        if focused is None:
            break
        if focused["nav"]:
            reached.add(focused["href"])
        if focused["signout"]:
            missing = [href for href in nav if href not in reached]
            if missing:
                fail(where, f"Tab reached the sign-out button without the navigation links {missing}")
            return
    fail(where, f"Tab did not reach the sign-out button within {len(nav) + 21} presses")


def check_csv(tab, where, lang):
    """Each export link downloaded as a person would (a click; the page's CSP allows no fetch):
    a .csv file with a UTF-8 byte-order mark, the table's column titles as its header line, at
    least the rows shown."""
    label = {"zh": "导出 CSV", "en": "Export CSV"}[lang]
    for export in tab.js(EXPORTS_JS) or []:
        counts["csv"] += 1
        problems = []
        if export["text"] != label:
            problems.append(f"link reads {export['text']!r}, not {label!r}")
        folder = os.path.join(OUT, "csv", f"{counts['csv']:02d}")
        os.makedirs(folder, exist_ok=True)
        path = tab.download(f"a[href={json.dumps(export['href'])}]", folder)
        with open(path, "rb") as f:
            data = f.read()
        if not path.endswith(".csv"):
            problems.append(f"saved as {os.path.basename(path)}")
        if not data.startswith(b"\xef\xbb\xbf"):
            problems.append(f"no UTF-8 byte-order mark: {data[:20]!r}")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        if export["headers"] is not None and (not rows or rows[0] != export["headers"]):
            problems.append(f"header line {rows[0] if rows else None} is not the table's columns {export['headers']}")
        if len(rows) - 1 < export["shown"]:
            problems.append(f"{len(rows) - 1} rows, the page shows {export['shown']}")
        for problem in problems:
            fail(f"{where} CSV {export['href']}", problem)


def wrong_code(tab, role):
    """A wrong authenticator code: the sign-in page again, with its message, and no session."""
    account = STAFF[role]
    tab.name = f"sign-in {role}, wrong code"
    tab.goto("/console/sign-in?lang=en")
    tab.fill("form[action^='/console/sign-in']", {"name": account["name"], "password": account["password"], "code": "12345"})
    facts = tab.submit("form[action^='/console/sign-in'] button[type=submit]")
    if facts["status"] != 401 or not facts["alert"] or "Wrong name, password or code" not in facts["alert"]:
        fail(tab.name, f"status {facts['status']}, alert {facts['alert']!r}")
    if not tab.goto("/console")["path"].startswith("/console/sign-in"):
        fail(tab.name, "a session was opened")


def sign_in(tab, role, lang="zh"):
    """Through the sign-in page as a person would: name, password, the authenticator's code."""
    account = STAFF[role]
    tab.name = f"sign-in {role}"
    facts = tab.goto(f"/console/sign-in?lang={lang}")
    check_page(tab, f"sign-in ({lang})", facts, lang)
    tab.type("input[name=name]", account["name"])
    tab.type("input[name=password]", account["password"])
    if account["secret"]:
        # Each time step's code is good once: a second sign-in within 30 s uses the next step's
        # (the server takes a neighbouring step for clock drift).
        step = int(time.time()) // 30
        if account["step"] is not None and step <= account["step"]:
            step = account["step"] + 1
        account["step"] = step
        tab.type("input[name=code]", totp(account["secret"], step))
    facts = tab.submit("form[action^='/console/sign-in'] button[type=submit]")
    if facts["path"] != "/console":
        raise AssertionError(f"{role}: sign-in led to {facts['path']} ({facts['status']}): {facts['alert']}")
    if facts["status"] != 200:  # signed in, but the dashboard fails: the other pages are still worth checking
        fail(f"sign-in {role}", f"landed on /console with status {facts['status']}")
        facts["nav"] = facts["nav"] or NAV[role]  # (the navigation is then checked page by page)
    return facts


def sign_out(tab, role):
    """The sign-out button of the page on screen; the session then ends (else the cookies are cleared)."""
    try:
        facts = tab.submit("form[action='/console/sign-out'] button[type=submit]")
    except AssertionError as error:
        fail(f"sign-out {role}", str(error))
        tab.call("Network.clearBrowserCookies")
        return
    if not facts["path"].startswith("/console/sign-in"):
        fail(f"sign-out {role}", f"led to {facts['path']}")
    facts = tab.goto("/console")
    if not facts["path"].startswith("/console/sign-in"):
        fail(f"sign-out {role}", f"/console still opens ({facts['path']}) after signing out")


def section_name(href):
    return "dashboard" if href == "/console" else href.rsplit("/", 1)[1]


def with_lang(path, lang):
    return path + ("&" if "?" in path else "?") + f"lang={lang}"


def admin_pages(tab):
    """Every page of the admin's navigation, and a member's, a campaign's and a batch's page,
    both languages, both viewports; keyboard and CSV on the laptop."""
    facts = sign_in(tab, "admin")
    nav = facts["nav"]
    if nav != NAV["admin"]:
        fail("admin navigation", f"{nav}, expected {NAV['admin']}")
    pages = [(href, href) for href in nav] + [(path, re.sub(r"^(/console/[a-z-]+).*", r"\1", path)) for _, path in detail_pages(tab)]
    for size in (LAPTOP, TABLET):
        tab.viewport(size)
        for lang in ("zh", "en"):
            for path, section in pages:
                where = f"{path} ({lang}, {size[0]})"
                tab.name = where
                facts = tab.goto(with_lang(path, lang))
                ok = check_page(tab, where, facts, lang, current=section)
                if size == LAPTOP and ok:
                    check_keyboard(tab, where, nav)
                    check_csv(tab, where, lang)
    tab.viewport(LAPTOP)
    tab.goto("/console?lang=zh")
    sign_out(tab, "admin")


def screens(tab):
    """Screenshots of every page in both languages at the laptop viewport (the dashboard at the tablet's too)."""
    shots = []

    def shot(number, name, path, lang, size=LAPTOP, status=200):
        tab.viewport(size)
        tab.name = f"{name} {lang}"
        facts = tab.goto(with_lang(path, lang))
        check_page(tab, f"{path} ({lang}, {size[0]})", facts, lang, status=status)
        filename = f"{number:02d}-{name}-{lang}.png"
        tab.screenshot(filename, facts["height"])
        counts["screens"] += 1
        shots.append((filename, facts["h1"][0] if facts["h1"] else "", facts["height"]))

    for lang in ("zh", "en"):
        shot(1, "sign-in", "/console/sign-in", lang)
    facts = sign_in(tab, "admin")
    number = 2
    for href in facts["nav"]:
        for lang in ("zh", "en"):
            shot(number, section_name(href), href, lang)
        if href == "/console":
            number += 1
            for lang in ("zh", "en"):
                shot(number, "dashboard-tablet", href, lang, size=TABLET)
        number += 1
    for name, path in detail_pages(tab) + [("campaign-editor", "/console/campaigns/new")]:
        for lang in ("zh", "en"):
            shot(number, name, path, lang)
        number += 1
    print("screenshots:")
    for filename, heading, height in shots:
        print(f"  {filename:34} {heading}  ({height} px)")


def detail_pages(tab):
    """A member's profile, a campaign's page and a batch's page (showing its first code's QR
    image), found by their links on the list pages."""
    found = []
    for name, list_path, pattern in (
        ("member", f"/console/members?q={MEMBERS['regular']}", f"^/console/members/{MEMBERS['regular']}$"),
        ("campaign", "/console/campaigns", r"^/console/campaigns/[0-9]+$"),
        ("batch", "/console/packaging", f"^/console/packaging/batches/{BATCHES['rice']}$"),
    ):
        tab.goto(list_path)
        links = tab.js("[...document.querySelectorAll('main a')].map(a => a.getAttribute('href'))") or []
        link = next((href for href in links if re.match(pattern, href or "", re.IGNORECASE)), None)
        if link:
            found.append((name, link + ("?code=0" if name == "batch" else "")))  # the batch's page with a code's QR image
        else:
            fail(f"{name} page", f"no link like {pattern} on {list_path}")
    return found


def api(path):
    """The JSON API with the admin key (redirects followed): what a flow changed, seen from the other side."""
    request = urllib.request.Request(BASE + "/api/v1" + path, headers={"Authorization": "Bearer " + os.environ["ADMIN_KEY"]})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return json.load(response)


def submit_form(tab, where, form, fields, lang, notice=True):
    """Fills `form` and presses its submit button; the page it leads to passes the page checks
    and, with `notice`, shows the action's notice (a refusal shows its message instead)."""
    tab.name = where
    tab.fill(form, fields)
    facts = tab.submit(f"{form} button[type=submit]")
    check_page(tab, where, facts, lang)
    if notice and not facts["notice"]:
        fail(where, f"no notice of success on {facts['path']} ({facts['status']}): {facts['alert']!r}")
    return facts


def open_page(tab, where, path, lang):
    tab.name = where
    facts = tab.goto(with_lang(path, lang))
    check_page(tab, where, facts, lang)
    return facts


def flow_members(tab):
    """Customer service adjusts a member's points with a reason, then merges the member known
    only to JD into the one with the phone, after the side-by-side confirmation."""
    member = MEMBERS["adjusted"]
    before = api(f"/members/{member}")["balance"]
    open_page(tab, "member profile (service)", f"/console/members/{member}", "zh")
    # A refusal first (more points taken than the member has): its message on the page, nothing changed.
    tab.name = "adjust points: refused"
    tab.fill("form[action$='/adjust']", {"points": "-100000", "reason": "console-check: too much"})
    facts = tab.submit("form[action$='/adjust'] button[type=submit]")
    if facts["status"] < 400 or not facts["alert"] or "没有做任何更改" not in tab.js("document.querySelector('main').innerText"):
        fail(tab.name, f"status {facts['status']}, alert {facts['alert']!r}: no refusal that says nothing was changed")
    if api(f"/members/{member}")["balance"] != before:
        fail(tab.name, "the balance changed")
    open_page(tab, "member profile (service)", f"/console/members/{member}", "zh")
    submit_form(tab, "adjust points", "form[action$='/adjust']", {"points": "15", "reason": "console-check 补偿 goodwill"}, "zh")
    after = api(f"/members/{member}")["balance"]
    if after != before + 15:
        fail("adjust points", f"balance {before} → {after}, expected {before + 15}")
    counts["flows"] += 1

    survivor, absorbed = MEMBERS["survivor"], MEMBERS["absorbed"]
    open_page(tab, "member to keep (service)", f"/console/members/{survivor}", "en")
    facts = submit_form(tab, "merge: side by side", "form[action$='/merge'][method=get]", {"absorb": absorbed}, "en", notice=False)
    if absorbed.lower() not in json.dumps(tab.js("document.querySelector('main').innerText")).lower():
        fail("merge: side by side", f"the confirmation page does not show {absorbed}")
    submit_form(tab, "merge: confirmed", "form[action$='/merge'][method=post]", {"reason": "console-check: same person (JD)"}, "en")
    merged = api(f"/members/{absorbed}")
    if merged["id"].lower() != survivor.lower():
        fail("merge", f"the absorbed member reads as {merged['id']}, not the survivor {survivor}")
    counts["flows"] += 1


def flow_campaign(tab):
    """Marketing creates a campaign (double points on the rice), previews it for a code and a
    member (typed as a person types a phone), and opens its backtest."""
    open_page(tab, "campaigns (marketer)", "/console/campaigns", "zh")
    open_page(tab, "new campaign", "/console/campaigns/new", "zh")
    facts = submit_form(tab, "create campaign", "form.campaign-form", {
        "name_zh": "双十二积分翻倍", "name_en": "Double points for 12.12",
        "starts_at": time.strftime("%Y-%m-%dT00:00:00", time.localtime(time.time() - 86400)),
        "ends_at": time.strftime("%Y-%m-%dT00:00:00", time.localtime(time.time() + 30 * 86400)),
        "skus": "DEMO-RICE", "effect": "multiplier", "factor": "2", "budget_points": "5000"}, "zh")
    match = re.match(r"^/console/campaigns/([0-9]+)", facts["path"])
    if not match:
        raise AssertionError(f"creating the campaign led to {facts['path']}, not its page")
    campaign = match.group(1)
    open_page(tab, "campaign preview form", f"/console/campaigns/{campaign}/preview", "zh")
    facts = submit_form(tab, "campaign preview", f"form[action='/console/campaigns/{campaign}/preview']",
                        {"code": PREVIEW_CODE, "member": "138 0013 8001"}, "zh", notice=False)
    # The answer: the code claimable, and the new campaign among the awards (as if live).
    if facts["alert"]:
        fail("campaign preview", f"refused: {facts['alert']!r}")
    elif not tab.js(f"!!document.querySelector('main table a[href=\"/console/campaigns/{campaign}\"]')"):
        shown = tab.js("document.querySelector('main').innerText")[-400:]
        fail("campaign preview", f"campaign {campaign} is not among the awards: {shown!r}")
    open_page(tab, "campaign backtest", f"/console/campaigns/{campaign}/backtest?days=30", "zh")
    counts["flows"] += 1


def flow_void(tab):
    """The packaging supervisor voids ten codes of the rice batch with a reason."""
    batch = BATCHES["rice"]
    open_page(tab, "batch (packaging)", f"/console/packaging/batches/{batch}", "zh")
    submit_form(tab, "void a range", "form[action$='/void']", {"from": "150", "count": "10", "reason": "console-check: 破损 damaged"}, "zh")
    ranges = api(f"/batches/{batch}")["ranges"]
    if not any(r["from"] == 150 and r["count"] == 10 and r["state"] == "voided" for r in ranges):
        fail("void a range", f"the batch's ranges are {ranges}")
    counts["flows"] += 1


def role_checks(tab):
    """Each role sees the navigation its permissions give and gets 403 for the admins' pages by
    URL; a viewer finds no form that changes anything on any page it may open; the others each
    do their flow (above)."""
    wrong_code(tab, "viewer")
    for role in ("viewer", "service", "marketer", "packaging"):
        facts = sign_in(tab, role, lang="en")
        if facts["nav"] != NAV[role]:
            fail(f"{role} navigation", f"{facts['nav']}, expected {NAV[role]}")
        for href in ADMIN_ONLY:
            tab.name = f"{role} {href}"
            facts = tab.goto(href)
            refused = check_page(tab, f"{role} opens {href} by URL", facts, "en", status=403)
            if refused and (not facts["alert"] or "may not" not in facts["alert"]):
                fail(f"{role} opens {href} by URL", f"no refusal shown: {facts['alert']!r}")
        if role == "viewer":
            # By form: the viewer's own session and CSRF token, a form it is never shown, posted
            # from the page; 403 with the refusal, and nothing changed.
            member = MEMBERS["regular"]
            before = api(f"/members/{member}")["balance"]
            tab.goto("/console/members")
            for action, fields in ((f"/console/members/{member.lower()}/adjust", {"points": "1000", "reason": "not allowed"}),
                                   ("/console/api-keys/create", {"name": "not-allowed", "scopes": "admin"})):
                tab.name = f"viewer posts {action}"
                facts = tab.loads(lambda: tab.js(f"""(() => {{ const form = document.createElement("form");
                    form.method = "post"; form.action = {json.dumps(action)};
                    const fields = Object.assign({{_csrf: document.querySelector("input[name=_csrf]").value}}, {json.dumps(fields)});
                    for (const [name, value] of Object.entries(fields)) {{ const input = document.createElement("input");
                        input.type = "hidden"; input.name = name; input.value = value; form.append(input); }}
                    document.body.append(form); form.submit(); }})()"""))
                if check_page(tab, tab.name, facts, "en", status=403) and (not facts["alert"] or "may not" not in facts["alert"]):
                    fail(tab.name, f"no refusal shown: {facts['alert']!r}")
                tab.goto("/console/members")
            if api(f"/members/{member}")["balance"] != before:
                fail("viewer posts an adjustment", "the member's balance changed")
            for href in NAV[role]:
                tab.name = f"viewer {href}"
                facts = tab.goto(href)
                check_page(tab, f"viewer {href}", facts, "en", current=href)
                posts = [action for action in facts["posts"] if action != "/console/sign-out"]
                if posts:
                    fail(f"viewer {href}", f"forms that change things are shown to a viewer: {posts}")
        flow = {"service": flow_members, "marketer": flow_campaign, "packaging": flow_void}.get(role)
        if flow:
            try:
                flow(tab)
            except Exception as error:  # one flow that cannot run does not stop the others
                fail(f"{flow.__name__} at {tab.name}", f"{type(error).__name__}: {error}")
        tab.goto("/console")
        sign_out(tab, role)


def audit_trail(tab):
    """The admin signs in again and finds each flow in the audit log, by the staff member who did it."""
    sign_in(tab, "admin", lang="en")
    for action, role in (("member.adjust", "service"), ("member.merge", "service"), ("campaign.create", "marketer"),
                         ("batch.void", "packaging")):
        where = f"audit log: {action}"
        facts = open_page(tab, where, f"/console/audit?action={action}", "en")
        actors = tab.js("[...document.querySelectorAll('main table tbody tr')].map(r => r.cells[1]?.innerText.trim())")
        if f"staff:{STAFF[role]['name']}" not in actors:
            fail(where, f"no entry by staff:{STAFF[role]['name']} (found {actors})")
    sign_out(tab, "admin")


tab = Tab(int(os.environ["DEVTOOLS_PORT"]))
started = time.monotonic()
try:
    if MODE == "screens":
        screens(tab)
    else:
        admin_pages(tab)
        role_checks(tab)
        audit_trail(tab)
except Exception as error:  # a step that could not run at all
    fail(tab.name, f"{type(error).__name__}: {error}")
    try:
        tab.screenshot(f"fail-{len(failures):02d}.png", 900)
    except Exception:
        pass

for note in sorted(set(notes)):
    print(f"  note {note}")
print(f"  {counts['pages']} page checks, {counts['keyboard']} keyboard walks, {counts['csv']} CSV exports, "
      f"{counts['flows']} flows, {counts['screens']} screenshots in {time.monotonic() - started:.0f} s; {len(failures)} failed")
sys.exit(1 if failures else 0)
