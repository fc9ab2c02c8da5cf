#!/usr/bin/python3
"""The driver of ops/chaos: mixed load against `tally serve` while faults hit it, then invariants.

Run by ops/chaos (which makes the cluster, the schema, the data and the API key) with Python's
standard library only. It starts the server itself, so that it can kill and restart it, and a
tiny SMS gateway that receives the sign-in codes (TALLY_CODE_DELIVERY=webhook).

Three phases, one fault each: `kill -9` of the server then a restart; `pg_ctl -m immediate stop`
then a start ~3 s later; `pg_terminate_backend` of every connection of the server. On a Citus
cluster (ops/chaos --citus), one: `worker-stop` stops worker 2 (`pg_ctl -m immediate`) for
OUTAGE seconds, then starts it again; "live" clients, whose members and codes are wholly on the
other worker, must get real answers throughout, the rest 503s until it is back. In each, API
workers claim (POST /api/v1/claims), redeem, cancel, adjust, merge and read, and consumers sign
in on the landing page and claim through its form. A request that gets no answer or a 5xx is sent
again (keyed writes with the SAME Idempotency-Key) until it gets a real answer. After each phase:
every acknowledged write is in PostgreSQL exactly once, nothing was credited twice, a retry got
the first answer, no request waited longer than its deadline + 1 s, the server answered again
within 5 s, 5xx answers were proper 503s, and `tally check` passes.

Everything it needs comes in the environment (see ops/chaos). Exits 1 on any breach.
"""
import base64, collections, csv, hashlib, hmac, http.client, io, json, os, random, re, signal, socket
import subprocess, sys, threading, time, traceback, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

ENV = os.environ
HOST = "127.0.0.1"
PORT = int(ENV["CHAOS_PORT"])
TALLY = ENV["CHAOS_TALLY"]
API_KEY = ENV["CHAOS_API_KEY"]
WORK = ENV["CHAOS_WORK"]
OUT = ENV["CHAOS_OUT"]
RUN_END = float(ENV["CHAOS_RUN_END"])  # time.time() by which the run must be over
DATABASE_URL = ENV["TALLY_DATABASE_URL"]
PG_BIN, PG_DATA, PG_LOG, PG_PORT = ENV["CHAOS_PG_BIN"], ENV["CHAOS_PG_DATA"], ENV["CHAOS_PG_LOG"], ENV["TALLY_PG_PORT"]
PG_USER = ENV.get("CHAOS_PG_RUN_AS", "")  # run pg_ctl as this user (root runs PostgreSQL as postgres)
DB_NAME = ENV["TALLY_DB_NAME"]
REWARD, REWARD_COST, POINTS = ENV["CHAOS_REWARD"], int(ENV["CHAOS_REWARD_COST"]), int(ENV["CHAOS_POINTS"])
# The server's deadlines (TALLY_API_DEADLINE, TALLY_PAGE_DEADLINE): an answer must come within the
# deadline + 1 s. The client gives up 1 s after that, and sends the request again.
API_DEADLINE = float(ENV.get("TALLY_API_DEADLINE", "3"))
PAGE_DEADLINE = float(ENV.get("TALLY_PAGE_DEADLINE", "3"))
RECOVERY = 5.0  # the server must answer /readyz and a real API call within this of the fault's end
API_WORKERS = int(ENV.get("CHAOS_API_WORKERS", "12"))
CONSUMERS = int(ENV.get("CHAOS_CONSUMERS", "3"))
WARMUP, AFTER, DRAIN = 5.0, 4.0, 15.0  # load before the fault, after recovery; most time to settle
RESERVE = 20.0  # seconds kept at the end of the run for the last checks and the report
# Citus (ops/chaos --citus): the stopped worker's data directory, log and port.
CITUS_WORKER_DATA = ENV.get("CHAOS_CITUS_WORKER_DATA")
CITUS = CITUS_WORKER_DATA is not None
CITUS_WORKER_LOG = ENV.get("CHAOS_CITUS_WORKER_LOG", "")
STOPPED_PORT = int(ENV.get("CHAOS_CITUS_WORKER_PORT", "0"))
LIVE_PORT = int(ENV.get("CHAOS_CITUS_LIVE_PORT", "0"))  # the worker that stays up
OUTAGE = 8.0  # seconds the worker stays stopped
LIVE_WORKERS = int(ENV.get("CHAOS_LIVE_WORKERS", "3")) if CITUS else 0
LIVE_CONSUMERS = 1 if CITUS else 0
# Operations the load leaves out (TALLY_CHAOS_LEAVE_OUT): merge, profile (GET /api/v1/members/{id}).
LEFT_OUT = {op for op in ENV.get("CHAOS_LEAVE_OUT", "").split(",") if op}
# The real API call that must answer 200 again after a fault (on Citus, for a member on the
# stopped worker): the profile, or the member's redemptions while profiles are left out.
PROBE_PATH = "/api/v1/members/{}/redemptions" if "profile" in LEFT_OUT else "/api/v1/members/{}"
SMS_SECRET = "chaos-sms-secret-0123456789"
SESSION_KEY = os.urandom(32).hex()

# Consumer-page words (Sources/TallyServer/Web/PageStrings.swift), by language.
WORDS = {
    "en": {"claimed": "Points claimed", "yours": "You have claimed this one", "code": "Enter the code",
           "try_again": ("Please try again in a moment.", "Please try again shortly.")},
    "zh": {"claimed": "领取成功", "yours": "您已领取过本件积分", "code": "输入验证码", "try_again": ("请稍后再试",)},
}
HEADING = re.compile(r'<section class="card state ([a-z]+)">\s*<h1>(.*?)</h1>', re.S)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def code_id(code):
    """(kid, serial) of a code (docs/code-format.md): 17 base32 symbols of kid<<80 | serial<<40 | tag."""
    n = 0
    for ch in code[:17]:
        n = n * 32 + BASE32.index(ch)
    return n >> 80, (n >> 40) & ((1 << 40) - 1)


def now():
    return time.monotonic()


def time_left():
    """Seconds until the load must have stopped, keeping RESERVE for the checks and the report."""
    return max(0.0, RUN_END - RESERVE - time.time())


# ---------------------------------------------------------------------------------------------
# What happened: requests, breaches, per phase.

class Phase:
    def __init__(self, name, fault):
        self.name, self.fault = name, fault
        self.stop = threading.Event()
        self.give_up_at = now() + time_left()  # moved closer when the load stops
        self.requests = 0
        self.statuses = collections.Counter()
        self.longest = (0.0, "")
        self.recovered_after = None  # seconds from the fault's end to /readyz and an API call answering
        self.replays = 0
        self.live = collections.Counter()  # answers to the live clients (Citus), by status
        self.unavailable = collections.Counter()  # 503 answers by error code (or "page")
        self.stopped_at = self.started_at = None  # when the worker was stopped and started (worker-stop)
        self.notes = []
        self.lock = threading.Lock()

    def count(self, answer, what, live=False):
        with self.lock:
            self.requests += 1
            self.statuses[answer.label()] += 1
            if live:
                self.live[answer.label()] += 1
            if answer.status == 503:
                self.unavailable[error_code(answer) or "page"] += 1
            if answer.wait > self.longest[0]:
                self.longest = (answer.wait, what)

    def out_of_time(self):
        return now() > self.give_up_at


class Breaches:
    def __init__(self):
        self.by_phase = collections.defaultdict(lambda: collections.defaultdict(list))
        self.seen = set()
        self.lock = threading.Lock()

    def add(self, phase, kind, detail):
        with self.lock:
            if (kind, detail) in self.seen:
                return
            self.seen.add((kind, detail))
            self.by_phase[phase][kind].append(detail)

    def of(self, phase):
        return self.by_phase.get(phase, {})


BREACHES = Breaches()


class Answer:
    def __init__(self, status=None, headers=None, body=b"", wait=0.0, error=None):
        self.status, self.headers, self.body, self.wait, self.error = status, headers, body, wait, error

    def real(self):
        """An answer a client can act on: not a lost connection, not a 5xx."""
        return self.status is not None and self.status < 500

    def label(self):
        return str(self.status) if self.status is not None else f"no answer ({self.error})"

    def header(self, name):
        return self.headers.get(name) if self.headers is not None else None

    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def short(self, limit=300):
        if self.status is None:
            return f"no answer ({self.error}) after {self.wait:.1f} s"
        body = self.text()
        if "<html" in body[:200]:
            m = HEADING.search(body)
            body = f"page: {m.group(2) if m else body[:80]!r}"
        body = body if len(body) <= limit else body[:limit] + "…"
        return f"{self.status} {body} (after {self.wait:.1f} s)"


class Client:
    """One keep-alive connection to the server, like one client of a load balancer. A live client
    (Citus) asks only for data wholly on the worker that stays up: every answer must be real."""

    def __init__(self, phase, page=False, live=False):
        self.phase, self.live = phase, live
        self.deadline = PAGE_DEADLINE if page else API_DEADLINE
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def send(self, method, path, body=None, headers=None, count=True):
        """One request; checks its wait and, for a 5xx, its shape. Never raises on network errors."""
        t0 = now()
        answer = None
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, PORT, timeout=self.deadline + 2.0)
            self.conn.request(method, path, body=body, headers=headers or {})
            response = self.conn.getresponse()
            data = response.read()
            answer = Answer(response.status, response.headers, data, now() - t0)
            if response.will_close:
                self.close()
        except socket.timeout:
            answer = Answer(wait=now() - t0, error="timeout")
        except ConnectionRefusedError:
            answer = Answer(wait=now() - t0, error="refused")
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            answer = Answer(wait=now() - t0, error="reset")
        except (OSError, http.client.HTTPException) as error:
            answer = Answer(wait=now() - t0, error=type(error).__name__)
        if answer.status is None:
            self.close()
        what = f"{method} {path.split('?')[0]}"
        if count:
            self.phase.count(answer, what, self.live)
        if self.live and not answer.real():
            BREACHES.add(self.phase, "request for data wholly on the live worker got no real answer",
                         f"{what}: {answer.short(200)}")
        if answer.wait > self.deadline + 1.0:
            BREACHES.add(self.phase, f"waited longer than the deadline + 1 s ({self.deadline + 1:.0f} s)",
                         f"{what}: {answer.short(160)}")
        return answer


def check_api_5xx(phase, what, answer, overloaded_ok=False):
    """An API 5xx must be a 503 with Retry-After and the JSON code database_unavailable or outcome_unknown."""
    if answer.status is None or answer.status < 500:
        return
    body = answer.json()
    code = body.get("error", {}).get("code") if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
    allowed = {"database_unavailable", "outcome_unknown"} | ({"overloaded"} if overloaded_ok else set())
    problems = []
    if answer.status != 503:
        problems.append(f"status {answer.status}")
    if code not in allowed:
        problems.append(f"error code {code!r}")
    retry_after = answer.header("Retry-After")
    if retry_after is None or not retry_after.strip().isdigit():
        problems.append(f"Retry-After {retry_after!r}")
    if problems:
        BREACHES.add(phase, "5xx that is not a 503 with Retry-After and database_unavailable/outcome_unknown",
                     f"{what}: {answer.short(200)} [{', '.join(problems)}]")


def check_page_5xx(phase, what, answer, lang):
    """A consumer page's 5xx must be a 503 "try again in a moment" page."""
    if answer.status is None or answer.status < 500:
        return
    text = answer.text()
    if answer.status != 503 or not any(words in text for words in WORDS[lang]["try_again"]):
        BREACHES.add(phase, "consumer page 5xx that is not a 503 'try again in a moment' page",
                     f"{what} ({lang}): {answer.short(200)}")


def pause(answer, phase):
    """Back off before sending again: Retry-After (at most 1 s), else 0.2 s, with jitter."""
    wait = 0.2
    retry_after = answer.header("Retry-After") if answer is not None else None
    if retry_after and retry_after.strip().isdigit():
        wait = min(1.0, float(retry_after))
    time.sleep(min(wait * random.uniform(0.8, 1.2), max(0.0, phase.give_up_at - now())))


# ---------------------------------------------------------------------------------------------
# Keyed API writes and what the clients were told.

class Keyed:
    """One keyed write: its request, every answer it got, the first real one."""

    def __init__(self, phase, op, method, path, payload, key=None):
        self.phase, self.op, self.method, self.path = phase, op, method, path
        self.key = key or str(uuid.uuid4())
        self.payload = payload
        self.body = json.dumps(payload, separators=(",", ":")).encode()
        self.attempts = 0
        self.lost = 0  # attempts without a real answer
        self.final = None  # the first real answer (None: never got one)
        self.meta = {}

    def headers(self):
        return {"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": self.key,
                "Content-Type": "application/json", "Accept": "application/json"}

    def acknowledged(self):
        return self.final is not None and 200 <= self.final.status < 300


# Answers that ask for the same request again (the contract: "send the same request with the same
# Idempotency-Key again"): a lost race inside the server.
RETRY_409 = {"member_not_created", "claim_failed", "redemption_failed", "merge_failed"}


def error_code(answer):
    body = answer.json()
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("code")
    return None


def run_keyed(client, write):
    """Sends `write` until it gets a real answer or its phase gives up."""
    phase = write.phase
    what = f"{write.method} {write.path}"
    while True:
        answer = client.send(write.method, write.path, write.body, write.headers())
        write.attempts += 1
        check_api_5xx(phase, what, answer, overloaded_ok=write.op.startswith("claim"))
        if answer.real() and not (answer.status == 409 and error_code(answer) in RETRY_409):
            write.final = answer
            if answer.header("Idempotent-Replayed") == "true" and write.attempts == 1:
                BREACHES.add(phase, "first answer to a new Idempotency-Key marked as a replay",
                             f"{what} key {write.key}: {answer.short(160)}")
            return answer
        if answer.status is None or answer.status >= 500:
            write.lost += 1
        if phase.out_of_time():
            BREACHES.add(phase, "write never got a real answer (gave up)", f"{what} key {write.key}: last {answer.short(160)}")
            return None
        pause(answer, phase)


class Member:
    def __init__(self, phone, ident):
        self.phone, self.ident = phone, ident
        self.id = None
        self.balance = 0  # what the answers so far add up to
        self.exact = True  # False once an operation on it ended without a real answer
        self.merged_into = None


class Ledger:
    """Everything the clients were told, for the checks against the database."""

    def __init__(self):
        self.lock = threading.Lock()
        self.writes = []  # every Keyed
        self.members = []  # every API Member
        self.redemptions = {}  # id -> {"member": Member, "points": int, "cancel": None|"acknowledged"|"unknown"|"refused"}
        self.cancels = []  # (phase, redemption id, outcome, answers)
        self.web_claims = []  # (phase, code, phone, outcome) outcome: acknowledged | unresolved
        self.web_phones = set()  # phones that signed in
        self.codes_sent = set()  # every code some request tried to claim

    def add_write(self, write):
        with self.lock:
            self.writes.append(write)


LEDGER = Ledger()


class OutOfCodes(Exception):
    pass


class Pool:
    """Codes handed out once each."""

    def __init__(self, codes):
        self.codes = list(codes)
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            if not self.codes:
                raise OutOfCodes()
            code = self.codes.pop()
        with LEDGER.lock:
            LEDGER.codes_sent.add(code)
        return code


SEQUENCE = iter(range(10**7))
SEQUENCE_LOCK = threading.Lock()


def next_number():
    with SEQUENCE_LOCK:
        return next(SEQUENCE)


class APIWorker:
    """A CRM / channel backend: its own members, one operation at a time."""

    live = False

    def __init__(self, index, codes):
        self.index, self.codes = index, codes
        self.members = []
        self.live = []  # redemption ids it may cancel
        self.rng = random.Random(index)

    def new_member(self):
        n = next_number()
        member = Member(f"+86139{n:08d}", f"w{self.index}-m{n}")
        with LEDGER.lock:
            LEDGER.members.append(member)
        return member

    def claim(self, client, phase, member):
        code = self.codes.take()
        write = Keyed(phase, "claim", "POST", "/api/v1/claims",
                      {"code": code, "identity": {"channel": "chaos", "external_id": member.ident}, "phone": member.phone})
        write.meta = {"code": code, "member": member}
        LEDGER.add_write(write)
        answer = run_keyed(client, write)
        if answer is None:
            member.exact = False
            return False
        body = answer.json() or {}
        if answer.status != 201:
            BREACHES.add(phase, "unexpected answer", f"POST /api/v1/claims {code}: {answer.short()}")
            member.exact = False
            return False
        if member.id is None:
            member.id = body.get("member_id")
        elif lid(body.get("member_id")) != lid(member.id):
            BREACHES.add(phase, "claim credited another member",
                         f"code {code} for member {member.id}: answer {answer.short()}")
        member.balance += POINTS
        self.check_balance(phase, member, body.get("balance"), f"claim {code}")
        return True

    def check_balance(self, phase, member, told, what):
        if member.exact and told is not None and told != member.balance:
            BREACHES.add(phase, "an answer's balance differs from what the answers before it add up to",
                         f"member {member.id}, {what}: told {told}, expected {member.balance}")
            member.exact = False
            member.balance = told

    def adjust(self, client, phase, member):
        points = self.rng.choice([5, 3, -2, -4])
        write = Keyed(phase, "adjust", "POST", f"/api/v1/members/{member.id}/adjustments", {"points": points})
        write.payload["reason"] = f"chaos {write.key}"
        write.body = json.dumps(write.payload, separators=(",", ":")).encode()
        write.meta = {"member": member, "points": points}
        LEDGER.add_write(write)
        answer = run_keyed(client, write)
        if answer is None:
            member.exact = False
            return
        if answer.status == 201:
            member.balance += points
            self.check_balance(phase, member, (answer.json() or {}).get("balance"), f"adjustment {points:+d}")
        elif not (answer.status == 422 and error_code(answer) == "insufficient_points" and points < 0):
            BREACHES.add(phase, "unexpected answer", f"{write.method} {write.path} {points:+d}: {answer.short()}")
            member.exact = False
        elif member.exact and member.balance >= -points:
            BREACHES.add(phase, "refused a debit the balance covers",
                         f"member {member.id} balance {member.balance}, {points:+d}: {answer.short()}")

    def redeem(self, client, phase, member):
        write = Keyed(phase, "redeem", "POST", f"/api/v1/members/{member.id}/redemptions", {"reward": REWARD, "quantity": 1})
        write.meta = {"member": member}
        LEDGER.add_write(write)
        answer = run_keyed(client, write)
        if answer is None:
            member.exact = False
            return
        body = answer.json() or {}
        if answer.status == 201:
            member.balance -= REWARD_COST
            self.check_balance(phase, member, body.get("balance"), "redemption")
            with LEDGER.lock:
                LEDGER.redemptions[body.get("id")] = {"member": member, "points": body.get("points"), "cancel": None}
            self.live.append(body.get("id"))
        elif not (answer.status == 422 and error_code(answer) == "insufficient_points"):
            BREACHES.add(phase, "unexpected answer", f"{write.method} {write.path}: {answer.short()}")
            member.exact = False
        elif member.exact and member.balance >= REWARD_COST:
            BREACHES.add(phase, "refused a redemption the balance covers",
                         f"member {member.id} balance {member.balance}: {answer.short()}")

    def cancel(self, client, phase):
        """Cancellation takes no Idempotency-Key: after a lost answer, 409 already_cancelled means ours went through."""
        redemption = self.live.pop(self.rng.randrange(len(self.live)))
        entry = LEDGER.redemptions[redemption]
        member = entry["member"]
        while member.merged_into is not None:
            member = member.merged_into
        path = f"/api/v1/redemptions/{redemption}/cancel"
        body = json.dumps({"reason": f"chaos cancel {redemption}"}).encode()
        headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
        lost = 0
        while True:
            answer = client.send("POST", path, body, headers)
            check_api_5xx(phase, f"POST {path}", answer)
            if answer.real():
                break
            lost += 1
            if phase.out_of_time():
                BREACHES.add(phase, "write never got a real answer (gave up)", f"POST {path}: last {answer.short(160)}")
                entry["cancel"] = "unknown"
                member.exact = False
                LEDGER.cancels.append((phase, redemption, "unknown"))
                return
            pause(answer, phase)
        if answer.status == 200:
            entry["cancel"] = "acknowledged"
            member.balance += entry["points"] or 0
            self.check_balance(phase, member, (answer.json() or {}).get("balance"), "cancellation")
        elif answer.status == 409 and error_code(answer) == "already_cancelled" and lost > 0:
            entry["cancel"] = "acknowledged"  # an earlier attempt of ours did it
            member.balance += entry["points"] or 0
        else:
            BREACHES.add(phase, "unexpected answer", f"POST {path} (after {lost} lost attempts): {answer.short()}")
            entry["cancel"] = "refused"
            member.exact = False
        LEDGER.cancels.append((phase, redemption, entry["cancel"]))

    def merge(self, client, phase, survivor):
        absorbed = self.new_member()
        if not self.claim(client, phase, absorbed):
            return
        write = Keyed(phase, "merge", "POST", f"/api/v1/members/{survivor.id}/merge", {"absorb": absorbed.id})
        write.payload["reason"] = f"chaos {write.key}"
        write.body = json.dumps(write.payload, separators=(",", ":")).encode()
        write.meta = {"member": survivor, "absorbed": absorbed}
        LEDGER.add_write(write)
        answer = run_keyed(client, write)
        if answer is None:
            survivor.exact = absorbed.exact = False
            return
        if answer.status != 200:
            BREACHES.add(phase, "unexpected answer", f"{write.method} {write.path}: {answer.short()}")
            survivor.exact = False
            return
        absorbed.merged_into = survivor
        survivor.balance += absorbed.balance
        survivor.exact = survivor.exact and absorbed.exact
        absorbed.balance = 0
        self.check_balance(phase, survivor, (answer.json() or {}).get("balance"), "merge")

    def get_until_real(self, client, phase, path):
        """GET `path` until it gets a real answer or its phase gives up; an answer other than 200 is a breach."""
        while True:
            answer = client.send("GET", path, headers={"Authorization": f"Bearer {API_KEY}"})
            check_api_5xx(phase, f"GET {path}", answer)
            if answer.real() or phase.out_of_time():
                break
            pause(answer, phase)
        if answer.real() and answer.status != 200:
            BREACHES.add(phase, "unexpected answer", f"GET {path}: {answer.short()}")
        return answer

    def read(self, client, phase, member):
        """The member's profile (GET /api/v1/members/{id}): its balance must be what the answers add up to."""
        answer = self.get_until_real(client, phase, f"/api/v1/members/{member.id}")
        if answer.status == 200:
            self.check_balance(phase, member, (answer.json() or {}).get("balance"), "profile read")

    def read_redemptions(self, client, phase, member):
        """The member's redemptions (GET /api/v1/members/{id}/redemptions): one shard's rows on Citus."""
        self.get_until_real(client, phase, f"/api/v1/members/{member.id}/redemptions")

    def look(self, client, phase, member):
        """A read of the member: its profile, or its redemptions while profiles are left out."""
        if "profile" in LEFT_OUT:
            self.read_redemptions(client, phase, member)
        else:
            self.read(client, phase, member)

    def setup(self, phase, members=3):
        client = Client(phase, live=self.live)
        for _ in range(members):
            member = self.new_member()
            if self.claim(client, phase, member):
                self.members.append(member)
        client.close()

    def run(self, phase):
        client = Client(phase)
        while not phase.stop.is_set():
            live = [m for m in self.members if m.merged_into is None and m.id is not None]
            if not live:
                member = self.new_member()
                if self.claim(client, phase, member):
                    self.members.append(member)
                continue
            member = self.rng.choice(live)
            roll = self.rng.random()
            if roll < 0.38:
                self.claim(client, phase, member)
            elif roll < 0.53:
                self.adjust(client, phase, member)
            elif roll < 0.68:
                self.redeem(client, phase, member)
            elif roll < 0.78 and self.live:
                self.cancel(client, phase)
            elif roll < 0.83 and "merge" not in LEFT_OUT:
                self.merge(client, phase, member)
            elif roll < 0.88:
                extra = self.new_member()
                if self.claim(client, phase, extra):
                    self.members.append(extra)
            else:
                self.look(client, phase, member)
        client.close()


class LiveWorker(APIWorker):
    """On Citus: a backend whose members (their row, channel identity and phone) and codes are all
    on the worker that stays up. It claims, adjusts, redeems and reads, never makes members or
    merges them, so that each of its requests needs that worker only: every answer must be real."""

    live = True

    def setup(self, phase, members=3):
        """Members made by a first claim until `members` of them live wholly on the live worker."""
        client = Client(phase, live=True)
        for _ in range(6):
            if len(self.members) >= members or time_left() < 25:
                break
            numbers = [next_number() for _ in range(24)]
            candidates = [(f"+86138{n:08d}", f"live{self.index}-m{n}") for n in numbers]
            where = nodes_of("member_identities", [x for pair in candidates for x in pair], "text")
            for phone, ident in candidates:
                if len(self.members) >= members:
                    break
                if where.get(phone) != LIVE_PORT or where.get(ident) != LIVE_PORT:
                    continue
                member = Member(phone, ident)
                with LEDGER.lock:
                    LEDGER.members.append(member)
                if self.claim(client, phase, member) and nodes_of("members", [lid(member.id)], "uuid").get(lid(member.id)) == LIVE_PORT:
                    self.members.append(member)
        client.close()

    def run(self, phase):
        if not self.members:
            BREACHES.add(phase, "setup failed", f"live client {self.index}: no member wholly on the live worker")
            return
        client = Client(phase, live=True)
        while not phase.stop.is_set():
            member = self.rng.choice(self.members)
            roll = self.rng.random()
            if roll < 0.45:
                self.claim(client, phase, member)
            elif roll < 0.65:
                self.adjust(client, phase, member)
            elif roll < 0.85:
                self.redeem(client, phase, member)
            else:
                self.look(client, phase, member)
        client.close()


# ---------------------------------------------------------------------------------------------
# Consumers: the landing page, sign-in with a code by SMS, the claim form.

class SMSGateway:
    """Receives sign-in codes: POST {"phone", "code", "expires_at"}, signed (docs/consumer.md)."""

    def __init__(self):
        self.codes = {}  # phone -> [(time.monotonic(), code)]
        self.bad_signatures = 0
        self.cond = threading.Condition()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                stamp = self.headers.get("X-Tally-Timestamp", "")
                expected = "sha256=" + hmac.new(SMS_SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(expected, self.headers.get("X-Tally-Signature", "")):
                    gateway.bad_signatures += 1
                try:
                    message = json.loads(body)
                    with gateway.cond:
                        gateway.codes.setdefault(message["phone"], []).append((now(), message["code"]))
                        gateway.cond.notify_all()
                except (ValueError, KeyError):
                    pass
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{HOST}:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, phone, since, timeout):
        end = now() + timeout
        with self.cond:
            while True:
                fresh = [code for t, code in self.codes.get(phone, []) if t >= since]
                if fresh:
                    return fresh[-1]
                if now() >= end:
                    return None
                self.cond.wait(end - now())


class Consumer:
    """A person with a phone: signs in on the landing page, then claims code after code."""

    live = False

    def __init__(self, index, codes, gateway):
        self.index, self.codes, self.gateway = index, codes, gateway
        self.lang = "en" if index % 2 == 0 else "zh"
        self.cookies = {}
        self.phone = None
        self.forwarded = None

    def headers(self, form=False):
        h = {"User-Agent": "tally-chaos", "X-Forwarded-For": self.forwarded}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form:
            h["Content-Type"] = "application/x-www-form-urlencoded"
        return h

    def keep_cookies(self, answer):
        if answer.headers is None:
            return
        for line in answer.headers.get_all("Set-Cookie") or []:
            pair, _, attributes = line.partition(";")
            name, _, value = pair.strip().partition("=")
            if not value or re.search(r"(?i)(^|;)\s*max-age=0\s*(;|$)", attributes):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def page(self, client, phase, method, path, form=None):
        body = urlencode(form).encode() if form is not None else None
        answer = client.send(method, path, body, self.headers(form is not None))
        self.keep_cookies(answer)
        check_page_5xx(phase, f"{method} {path.split('?')[0]}", answer, self.lang)
        return answer

    @staticmethod
    def heading(answer):
        m = HEADING.search(answer.text()) if answer.status is not None else None
        return m.group(2) if m else None

    def sign_in(self, client, phase, code):
        """Landing page → send a code → the code from the SMS gateway → sign in. A new phone for each try."""
        words = WORDS[self.lang]
        for _ in range(12):
            if phase.out_of_time():
                return False
            n = self.new_number()
            self.cookies, self.phone = {}, f"137{n:08d}"
            self.forwarded = f"127.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255 or 1}"
            landing = f"/Q/{code}"
            answer = self.page(client, phase, "GET", f"{landing}?lang={self.lang}")
            if answer.status != 200 or "/signin/code" not in answer.text():
                if answer.real() and answer.status != 200:
                    BREACHES.add(phase, "unexpected answer", f"GET {landing} (signed out): {answer.short()}")
                pause(answer, phase)
                continue
            csrf = CSRF.search(answer.text()).group(1)
            sent = now()
            answer = self.page(client, phase, "POST", "/signin/code", {"csrf": csrf, "phone": self.phone, "return_to": landing})
            if answer.status != 200 and answer.real():
                if answer.status != 429:
                    BREACHES.add(phase, "unexpected answer", f"POST /signin/code: {answer.short()}")
                continue
            if answer.status == 200 and self.heading(answer) != words["code"]:
                BREACHES.add(phase, "unexpected answer", f"POST /signin/code: {answer.short()}")
                continue
            otp = self.gateway.wait("+86" + self.phone, sent, 3.0 if answer.status == 200 else 1.0)
            if otp is None:
                if answer.status == 200:
                    BREACHES.add(phase, "sign-in code page shown but no code reached the SMS gateway", f"phone {self.phone}")
                pause(answer, phase)
                continue
            answer = self.page(client, phase, "POST", "/signin/verify",
                               {"csrf": csrf, "phone": "+86" + self.phone, "code": otp, "return_to": landing})
            if answer.status == 303 and "tally_session" in self.cookies:
                with LEDGER.lock:
                    LEDGER.web_phones.add("+86" + self.phone)
                return True
            if answer.real():
                BREACHES.add(phase, "unexpected answer", f"POST /signin/verify with the code sent: {answer.short()}")
            pause(answer, phase)
        return False

    def claim(self, client, phase, code):
        """Opens the code's page and presses claim, again and again until the page says whose it is."""
        words = WORDS[self.lang]
        landing = f"/Q/{code}"
        posted = False  # a claim was sent whose answer we did not get
        while True:
            if phase.out_of_time():
                BREACHES.add(phase, "web claim never got a real answer (gave up)", f"{landing} phone {self.phone}")
                LEDGER.web_claims.append((phase, code, "+86" + self.phone, "unresolved"))
                return
            answer = self.page(client, phase, "GET", landing)
            if not answer.real():
                pause(answer, phase)
                continue
            heading = self.heading(answer)
            if answer.status == 200 and heading == words["yours"] and posted:
                LEDGER.web_claims.append((phase, code, "+86" + self.phone, "acknowledged"))
                return
            form = CSRF.search(answer.text()) if f'action="{landing}/claim"' in answer.text() else None
            if answer.status != 200 or form is None:
                BREACHES.add(phase, "unexpected answer", f"GET {landing} (signed in, {'after' if posted else 'before'} a claim): {answer.short()}")
                LEDGER.web_claims.append((phase, code, "+86" + self.phone, "unresolved"))
                return
            answer = self.page(client, phase, "POST", f"{landing}/claim", {"csrf": form.group(1)})
            heading = self.heading(answer)
            if answer.status == 200 and (heading == words["claimed"] or (heading == words["yours"] and posted)):
                LEDGER.web_claims.append((phase, code, "+86" + self.phone, "acknowledged"))
                return
            if answer.real():
                BREACHES.add(phase, "unexpected answer", f"POST {landing}/claim: {answer.short()}")
                LEDGER.web_claims.append((phase, code, "+86" + self.phone, "unresolved"))
                return
            posted = True
            pause(answer, phase)

    def new_number(self):
        return next_number()

    def run(self, phase):
        client = Client(phase, page=True, live=self.live)
        signed_in = self.live
        claims = 0
        while not phase.stop.is_set():
            code = self.codes.take()
            if not signed_in:
                signed_in = self.sign_in(client, phase, code)
                if not signed_in:
                    continue
            self.claim(client, phase, code)
            claims += 1
            if claims % 4 == 0:
                answer = self.page(client, phase, "GET", "/me")
                if answer.real() and answer.status != 200:
                    BREACHES.add(phase, "unexpected answer", f"GET /me: {answer.short()}")
        client.close()


class LiveConsumer(Consumer):
    """On Citus: a person whose phone identity and member are on the worker that stays up, signed
    in before the faults, who claims codes whose claims are there too: every answer must be real."""

    live = True

    def new_number(self):
        """A phone whose identity is on the live worker."""
        while True:
            numbers = [next_number() for _ in range(8)]
            where = nodes_of("member_identities", [f"+86137{n:08d}" for n in numbers], "text")
            for n in numbers:
                if where.get(f"+86137{n:08d}") == LIVE_PORT:
                    return n

    def setup(self, phase):
        """Signs in (a new member for each phone) until the member is on the live worker too."""
        client = Client(phase, page=True, live=True)
        for _ in range(8):
            if time_left() < 25:
                break
            code = self.codes.take()
            if not self.sign_in(client, phase, code):
                continue
            found = rows(f"SELECT member_id FROM member_identities WHERE channel = 'phone' AND external_id = '+86{self.phone}'")
            if found and nodes_of("members", [found[0][0]], "uuid").get(found[0][0]) == LIVE_PORT:
                client.close()
                return True
        client.close()
        self.cookies = {}  # not to claim as a member on the other worker
        BREACHES.add(phase, "setup failed", f"live consumer {self.index}: not signed in as a member on the live worker")
        return False

    def run(self, phase):
        if "tally_session" in self.cookies:
            super().run(phase)


# ---------------------------------------------------------------------------------------------
# The server, PostgreSQL and the faults.

class Server:
    def __init__(self, gateway):
        self.env = dict(ENV)
        self.env.update({
            "TALLY_CODE_DELIVERY": "webhook", "TALLY_SMS_WEBHOOK_URL": gateway.url, "TALLY_SMS_WEBHOOK_SECRET": SMS_SECRET,
            "TALLY_SESSION_KEY": SESSION_KEY, "TALLY_TRUST_PROXY": "1", "TALLY_JOBS_INTERVAL": "0",
            "TALLY_API_DEADLINE": f"{API_DEADLINE:g}", "TALLY_PAGE_DEADLINE": f"{PAGE_DEADLINE:g}",
            "LOG_LEVEL": ENV.get("LOG_LEVEL", "notice"),
        })
        self.env.pop("TALLY_SESSION_KEY_FILE", None)
        self.log = open(os.path.join(OUT, "serve.log"), "ab")
        self.proc = None

    def start(self):
        self.log.write(f"--- chaos: starting tally serve at {time.strftime('%H:%M:%S')}\n".encode())
        self.log.flush()
        self.proc = subprocess.Popen([TALLY, "serve", "--port", str(PORT)], env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        with open(os.path.join(WORK, "server.pid"), "w") as f:
            f.write(str(self.proc.pid))

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.write(f"--- chaos: kill -9 at {time.strftime('%H:%M:%S')}\n".encode())
        self.log.flush()

    def stop(self, grace=10.0):
        """SIGTERM; seconds until it exited, or None if it had to be killed after `grace`."""
        if self.proc is None or self.proc.poll() is not None:
            return 0.0
        t0 = now()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(grace)
            return now() - t0
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def run_command(args, timeout=60):
    return subprocess.run(args, cwd="/", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)


def pg_ctl(*args, data=PG_DATA):
    command = [os.path.join(PG_BIN, "pg_ctl"), "-D", data, *args]
    if PG_USER:
        command = ["runuser", "-u", PG_USER, "--", *command]
    result = run_command(command)
    if result.returncode != 0:
        raise RuntimeError(f"pg_ctl {' '.join(args)} failed: {result.stdout.strip()}")


def psql(sql, db=None, port=None):
    result = run_command([os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", HOST,
                          "-p", str(port or PG_PORT), "-U", "tally", "-d", db or DB_NAME, "-c", sql])
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {result.stdout.strip()}")
    return result.stdout


def rows(query, port=None):
    return list(csv.reader(io.StringIO(psql(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", port=port))))


def nodes_of(table, values, sql_type):
    """Citus: the port of the worker holding each value's shard of `table` ({value as text: port})."""
    if not values:
        return {}
    array = "{" + ",".join('"' + str(v).replace('"', '') + '"' for v in values) + "}"
    found = rows(f"SELECT v::text, n.nodeport FROM unnest('{array}'::{sql_type}[]) v "
                 f"JOIN pg_dist_placement p ON p.shardid = get_shard_id_for_distribution_column('{table}', v) "
                 "JOIN pg_dist_node n ON n.groupid = p.groupid")
    return {v: int(port) for v, port in found}


def split_live_codes(pool, count):
    """Citus: moves up to `count` codes whose claims shard is on the live worker out of `pool`, into
    a pool of their own; the others go back."""
    with pool.lock:
        taken, pool.codes = pool.codes[-count * 2:], pool.codes[:-count * 2]
    where = nodes_of("claims", [code_id(c)[1] for c in taken], "bigint")
    live = [c for c in taken if where.get(str(code_id(c)[1])) == LIVE_PORT][:count]
    with pool.lock:
        pool.codes[:0] = [c for c in taken if c not in set(live)]
    return Pool(live)


def prepared_transactions():
    """Citus: 2PC records on the coordinator (pg_dist_transaction) and prepared transactions on each worker."""
    counts = [int(psql("SELECT count(*) FROM pg_dist_transaction").strip() or 0)]
    for port in (LIVE_PORT, STOPPED_PORT):
        counts.append(int(psql("SELECT count(*) FROM pg_prepared_xacts", port=port).strip() or 0))
    return counts


def check_2pc_recovered(phase, limit=10.0):
    """Citus: once the load stopped, the maintenance daemon finishes every prepared transaction by
    itself (citus.recover_2pc_interval): none left anywhere within `limit` seconds."""
    t0 = now()
    while True:
        counts = prepared_transactions()
        if not any(counts):
            phase.notes.append(f"2PC recovered by Citus: pg_dist_transaction and the workers' prepared transactions empty after {now() - t0:.1f} s")
            return
        if now() - t0 > limit or time_left() < 3:
            # What holds them: Citus keeps a record while the transaction that wrote it still runs.
            left = rows("SELECT groupid, gid FROM pg_dist_transaction ORDER BY 1, 2 LIMIT 5")
            busy = rows("SELECT pid, state, coalesce(wait_event_type || ':' || wait_event, ''), now() - xact_start, "
                        "left(regexp_replace(query, '\\s+', ' ', 'g'), 120) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND backend_type = 'client backend' "
                        "AND xact_start IS NOT NULL AND pid <> pg_backend_pid() ORDER BY xact_start LIMIT 5")
            BREACHES.add(phase, "prepared transactions left after the worker came back",
                         f"{limit:.0f} s after the load: pg_dist_transaction {counts[0]} {left}, prepared on the live worker "
                         f"{counts[1]}, on the restarted one {counts[2]}; transactions open on the coordinator: {busy}")
            return
        time.sleep(0.5)


def terminate_backends():
    out = psql(f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{DB_NAME}' "
               "AND backend_type = 'client backend' AND pid <> pg_backend_pid()", db="postgres")
    return int(out.strip() or 0)


def wait_until_serving(phase, since, probe_member):
    """Polls /readyz and a real API call (a member's profile) until both answer 200; seconds after `since`."""
    client = Client(phase)
    end = min(since + 15.0, now() + time_left())
    ready = False
    while now() < end:
        answer = client.send("GET", "/readyz", count=False) if not ready else None
        ready = ready or answer.status == 200
        if ready:
            answer = client.send("GET", PROBE_PATH.format(probe_member), headers={"Authorization": f"Bearer {API_KEY}"},
                                 count=False)
            if answer.status == 200:
                client.close()
                return now() - since
        time.sleep(0.1)
    client.close()
    return None


# ---------------------------------------------------------------------------------------------
# The checks against the database, after each phase.

REPORTED_PHONES = set()


def check_database(phase, tally_check=True):
    """Every acknowledged write is stored exactly once, and nothing else is; tally check."""
    problems = []

    def breach(kind, detail):
        BREACHES.add(phase, kind, detail)

    claims = {(int(k), int(s)): (m, int(e), int(p), ch) for k, s, m, e, p, ch in
              rows("SELECT kid, serial, member_id, ledger_entry_id, points, channel FROM claims")}
    ledger = rows("SELECT id, member_id, kind, points, coalesce(kid::text, ''), coalesce(serial::text, ''), coalesce(reason, '') "
                  "FROM ledger_entries")
    claim_entries = collections.Counter((int(k), int(s)) for _, _, kind, _, k, s, _ in ledger if kind == "claim")
    entry_ids = {int(i): (m, kind, int(p), reason) for i, m, kind, p, _, _, reason in ledger}
    by_reason = collections.defaultdict(list)
    for i, m, kind, p, _, _, reason in ledger:
        if reason.startswith("chaos "):
            by_reason[reason].append((int(i), m, kind, int(p)))
    redemptions = {i: (m, int(p), st, int(e), c) for i, m, p, st, e, c in
                   rows("SELECT id, member_id, points, status, ledger_entry_id, coalesce(cancel_entry_id::text, '') FROM redemptions")}
    merges = collections.defaultdict(list)
    for s, a, p, reason in rows("SELECT survivor_id, absorbed_id, points_moved, reason FROM member_merges"):
        merges[reason].append((s, a, int(p)))
    stored = collections.defaultdict(list)
    for key, status, response, member, points, balance in rows(
            "SELECT key, status, encode(response, 'base64'), coalesce(claim_member::text, ''), "
            "coalesce(claim_points::text, ''), coalesce(claim_balance::text, '') FROM idempotency_keys"):
        if member:  # an API claim keeps its result, not its answer (db/functions/api_claim.sql)
            stored[key].append(("claim", {"member_id": member, "points": int(points), "balance": int(balance)}))
        else:
            stored[key].append((int(status), base64.b64decode(response)))
    members = {i: (int(b), mi) for i, b, mi in rows("SELECT id, balance, coalesce(merged_into::text, '') FROM members")}
    phones = {e: m for e, m in rows("SELECT external_id, member_id FROM member_identities WHERE channel = 'phone'")}

    def survivor(member_id):
        seen = 0
        while member_id in members and members[member_id][1] and seen < 100:
            member_id, seen = members[member_id][1], seen + 1
        return member_id

    acknowledged_codes = set()
    unresolved_codes = set()
    refused_codes = set()
    chaos_reasons = set()
    with LEDGER.lock:
        writes = list(LEDGER.writes)
        web_claims = list(LEDGER.web_claims)
        redemption_book = {lid(k): v for k, v in LEDGER.redemptions.items()}
        api_members = list(LEDGER.members)
    for w in writes:
        if w.op == "claim":
            code = w.meta["code"]
            if w.acknowledged():
                acknowledged_codes.add(code)
            elif w.final is None:
                unresolved_codes.add(code)
            else:
                refused_codes.add(code)  # checked below, with its answer
        if "reason" in w.payload:
            chaos_reasons.add(w.payload["reason"])
        if w.final is None:
            continue
        mine = w.phase is phase
        # The stored answer is the one the client was told (a retry replays it).
        if w.acknowledged():
            rows_for_key = stored.get(w.key, [])
            if len(rows_for_key) != 1:
                breach("acknowledged write not stored once with its Idempotency-Key",
                       f"{w.method} {w.path} key {w.key}: {len(rows_for_key)} idempotency rows")
            elif not stored_matches(rows_for_key[0], w.final):
                breach("acknowledged write's stored answer differs from the answer given",
                       f"{w.method} {w.path} key {w.key}: told {w.final.status} {w.final.text()[:160]}, "
                       f"stored {rows_for_key[0][0]} {str(rows_for_key[0][1])[:160]}")
        if not mine:
            continue
        body = w.final.json() or {}
        if w.op == "claim":
            kid_serial = code_id(w.meta["code"])
            row = claims.get(kid_serial)
            if w.acknowledged():
                if row is None:
                    breach("acknowledged write missing from the database", f"claim of {w.meta['code']} (key {w.key}, answered {w.final.status})")
                else:
                    if survivor(row[0]) != survivor(lid(body.get("member_id"))):
                        breach("claim stored for another member than answered",
                               f"{w.meta['code']}: stored {row[0]}, answered {body.get('member_id')}")
                    if claim_entries[kid_serial] != 1:
                        breach("credited more or less than once", f"claim of {w.meta['code']}: {claim_entries[kid_serial]} claim ledger entries")
            elif row is not None:
                breach("write stored although its answer said it was not done",
                       f"claim of {w.meta['code']} answered {w.final.short(160)}, but the claim is stored")
        elif w.op == "adjust":
            entries = by_reason.get(w.payload["reason"], [])
            if w.acknowledged():
                if len(entries) != 1:
                    breach("acknowledged write not stored exactly once", f"adjustment {w.payload['points']:+d} key {w.key}: {len(entries)} ledger entries")
                elif entries[0][0] != body.get("entry_id") or entries[0][3] != w.payload["points"]:
                    breach("stored write differs from its answer", f"adjustment key {w.key}: stored {entries[0]}, answered {w.final.text()[:160]}")
            elif entries:
                breach("write stored although its answer said it was not done",
                       f"adjustment key {w.key} answered {w.final.short(160)}, but {len(entries)} ledger entries")
        elif w.op == "redeem" and w.acknowledged():
            row = redemptions.get(lid(body.get("id")))
            if row is None:
                breach("acknowledged write missing from the database", f"redemption {body.get('id')} (key {w.key})")
            elif row[3] not in entry_ids or entry_ids[row[3]][1] != "redemption":
                breach("acknowledged write not stored exactly once", f"redemption {body.get('id')}: no ledger entry {row[3]}")
        elif w.op == "merge" and w.acknowledged():
            found = merges.get(w.payload["reason"], [])
            if len(found) != 1 or found[0][1] != lid(w.payload["absorb"]):
                breach("acknowledged write not stored exactly once", f"merge key {w.key}: {len(found)} member_merges rows {found}")
            moved = [e for e in by_reason.get(w.payload["reason"], []) if e[2] in ("merge_in", "merge_out")]
            if len(moved) not in (0, 2) or (found and len(moved) != (2 if found[0][2] else 0)):
                breach("credited more or less than once", f"merge key {w.key}: {len(moved)} merge ledger entries, points moved {found and found[0][2]}")
    # Nothing is stored that no client was told of.
    web_codes = {code for _, code, _, outcome in web_claims if outcome == "acknowledged"}
    web_unresolved = {code for _, code, _, outcome in web_claims if outcome != "acknowledged"}
    decode = {code_id(c): c for c in LEDGER.codes_sent}
    for kid_serial, (member, _, points, channel) in claims.items():
        code = decode.get(kid_serial)
        if code is None:
            breach("claim stored for a code no request sent", f"kid {kid_serial[0]} serial {kid_serial[1]}")
        elif code not in acknowledged_codes | web_codes | unresolved_codes | web_unresolved | refused_codes:
            breach("claim stored that no client was told of", f"{code} ({channel}) for member {member}")
        if points != POINTS:
            breach("claim credited the wrong points", f"{code}: {points}")
    for kid_serial, n in claim_entries.items():
        if n != 1:
            breach("credited more or less than once", f"kid {kid_serial[0]} serial {kid_serial[1]}: {n} claim ledger entries")
    for reason, entries in by_reason.items():
        if reason.startswith("chaos cancel "):
            redemption = lid(reason[len("chaos cancel "):])
            entry = redemption_book.get(redemption, {})
            kinds = [e for e in entries if e[2] == "redemption_cancel"]
            if len(kinds) > 1 or (entry.get("cancel") == "acknowledged" and len(kinds) != 1):
                breach("credited more or less than once", f"cancellation of {redemption}: {len(kinds)} ledger entries (told: {entry.get('cancel')})")
        elif reason not in chaos_reasons:
            breach("ledger entry no request asked for", f"{reason}: {entries}")
        elif len([e for e in entries if e[2] == "adjustment"]) > 1:
            breach("credited more or less than once", f"{reason}: {entries}")
    for rid, entry in redemption_book.items():
        if entry.get("cancel") == "acknowledged" and not any(lid(r) == f"chaos cancel {rid}" for r in by_reason):
            breach("acknowledged write missing from the database", f"cancellation of {rid}: no redemption_cancel ledger entry")
    for reason, found in merges.items():
        if len(found) > 1:
            breach("credited more or less than once", f"{reason}: {len(found)} merges")
    acknowledged_redemptions = set(redemption_book)
    unresolved_redemption_members = {lid(w.meta["member"].id) for w in writes if w.op == "redeem" and w.final is None}
    for rid, (member, points, status, _, cancel_entry) in redemptions.items():
        entry = redemption_book.get(rid)
        if rid not in acknowledged_redemptions:
            if member not in unresolved_redemption_members and survivor(member) not in {survivor(m) for m in unresolved_redemption_members}:
                breach("redemption stored that no client was told of", f"{rid} of member {member}")
            continue
        told = entry.get("cancel")
        if told == "acknowledged" and status != "cancelled":
            breach("acknowledged write missing from the database", f"cancellation of {rid}: status {status}")
        if told in (None, "refused") and status == "cancelled":
            breach("write stored although its answer said it was not done", f"redemption {rid} is cancelled (told: {told})")
    # Balances: what the answers add up to, for members whose every operation was answered.
    for member in api_members:
        if member.id is None or not member.exact or lid(member.id) not in members:
            continue
        balance = members[lid(member.id)][0]
        expected = 0 if member.merged_into is not None else member.balance
        if balance != expected:
            breach("balance differs from the acknowledged operations (lost or credited twice)",
                   f"member {member.id}: balance {balance}, answers add up to {expected}")
            member.exact = False  # reported once
    web_counts = collections.Counter(phone for _, _, phone, outcome in web_claims if outcome == "acknowledged")
    web_open = {phone for _, _, phone, outcome in web_claims if outcome != "acknowledged"}
    for _, code, phone, outcome in web_claims:
        row = claims.get(code_id(code))
        if outcome == "acknowledged":
            if row is None:
                breach("acknowledged write missing from the database", f"web claim of {code} by {phone}")
            elif phones.get(phone) is None or survivor(row[0]) != survivor(phones[phone]):
                breach("claim stored for another member than answered", f"web claim of {code} by {phone}: stored for {row[0]}")
            elif row[3] != "web":
                breach("claim stored for another member than answered", f"web claim of {code}: channel {row[3]}")
    for phone, n in web_counts.items():
        if phone in web_open or phone not in phones:
            continue
        balance = members.get(phones[phone], (None,))[0]
        if balance != n * POINTS and phone not in REPORTED_PHONES:
            REPORTED_PHONES.add(phone)
            breach("balance differs from the acknowledged operations (lost or credited twice)",
                   f"web member {phone}: balance {balance}, {n} claims acknowledged")
    if tally_check:
        env = dict(ENV)
        result = subprocess.run([TALLY, "check"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
        if result.returncode != 0:
            failed = [line for line in result.stdout.splitlines() if "fail" in line.lower() or "✗" in line] or result.stdout.splitlines()[-5:]
            breach("tally check failed", "; ".join(failed)[:600])
    return problems


def stored_matches(stored, answer):
    """Whether an idempotency_keys row holds the answer a client was told."""
    if stored[0] == "claim":
        told = answer.json() or {}
        return answer.status == 201 and all(lid(told.get(k)) == v for k, v in stored[1].items())
    return stored[0] == answer.status and same_json(stored[1], answer.body)


def lid(value):
    """UUIDs compared without case: the server writes them in upper case, PostgreSQL in lower."""
    return value.lower() if isinstance(value, str) else value


def same_json(a, b):
    if a == b:
        return True
    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return False


def replay(phase, budget=80):
    """Sends acknowledged keyed writes again: the answer must be the first one, marked as a replay."""
    with LEDGER.lock:
        # Not writes to a member merged away since: its id now answers with a redirect to the survivor.
        writes = [w for w in LEDGER.writes if w.phase is phase and w.acknowledged()
                  and (w.op == "claim" or w.meta["member"].merged_into is None)]
    retried = [w for w in writes if w.attempts > 1]
    others = [w for w in writes if w.attempts == 1]
    random.shuffle(retried)
    random.shuffle(others)
    chosen = retried[:budget // 2]
    chosen += others[:budget - len(chosen)]
    client = Client(phase)
    end = now() + 15.0
    for w in chosen:
        if now() > end or time_left() < 5:
            phase.notes.append(f"replays cut short after {phase.replays}")
            break
        while True:
            answer = client.send(w.method, w.path, w.body, w.headers(), count=False)
            if answer.real() or now() > end:
                break
            pause(answer, phase)
        phase.replays += 1
        if not answer.real():
            BREACHES.add(phase, "retry with the same key got no real answer", f"{w.method} {w.path} key {w.key}: {answer.short(160)}")
        elif answer.status != w.final.status or not same_json(answer.body, w.final.body):
            BREACHES.add(phase, "retry with the same key got another answer than the first",
                         f"{w.method} {w.path} key {w.key}: first {w.final.status} {w.final.text()[:200]}, retry {answer.short(200)}")
        elif answer.header("Idempotent-Replayed") != "true":
            BREACHES.add(phase, "retry with the same key not marked Idempotent-Replayed: true",
                         f"{w.method} {w.path} key {w.key}")
    client.close()
    # Writes whose first answers were lost: the answer they finally got is the one stored (checked with
    # the database); a lost answer after which the server said "not done" contradicts nothing unless the
    # write was in fact stored (also checked there).


# ---------------------------------------------------------------------------------------------

def guarded(run, phase):
    """A client's loop; running out of codes ends it, a fault of this script is reported as one."""
    try:
        run(phase)
    except OutOfCodes:
        with phase.lock:
            if "ran out of codes" not in phase.notes:
                phase.notes.append("ran out of codes")
    except Exception:  # a defect of ops/chaos itself: the run cannot be trusted
        BREACHES.add(phase, "error in ops/chaos itself (not the server's)", traceback.format_exc()[-600:])


def run_phase(phase, workers, consumers, server, probe_member):
    probe = Client(phase)
    before = active_requests(probe) or collections.Counter()
    probe.close()
    if phase.fault == "kill":
        before = collections.Counter()  # a new process
    threads = [threading.Thread(target=guarded, args=(w.run, phase), daemon=True) for w in workers + consumers]
    for t in threads:
        t.start()
    time.sleep(min(WARMUP, time_left()))
    log(f"{phase.name}: fault")
    back = now()
    try:
        if phase.fault == "kill":
            server.kill9()
            time.sleep(1.0)
            back = now()
            server.start()
        elif phase.fault == "pg-stop":
            pg_ctl("-m", "immediate", "-w", "stop")
            time.sleep(3.0)
            pg_ctl("-l", PG_LOG, "-w", "-t", "60", "start")
            back = now()
        elif phase.fault == "worker-stop":
            phase.stopped_at = now()
            pg_ctl("-m", "immediate", "-w", "stop", data=CITUS_WORKER_DATA)
            time.sleep(OUTAGE)
            pg_ctl("-l", CITUS_WORKER_LOG, "-w", "-t", "60", "start", data=CITUS_WORKER_DATA)
            back = phase.started_at = now()
        elif phase.fault == "none":
            back = now()
        else:
            first = terminate_backends()
            time.sleep(1.0)
            second = terminate_backends()
            phase.notes.append(f"terminated {first} + {second} connections")
            back = now()
    except (RuntimeError, subprocess.SubprocessError, OSError) as error:
        BREACHES.add(phase, "fault could not be made or undone", str(error)[:300])
        back = now()
    phase.recovered_after = wait_until_serving(phase, back, probe_member)
    if phase.recovered_after is None:
        BREACHES.add(phase, "server did not answer /readyz and an API call again", "not within 15 s of the fault's end")
    elif phase.recovered_after > RECOVERY:
        BREACHES.add(phase, f"server answered again later than {RECOVERY:.0f} s after the fault's end",
                     f"/readyz and GET /api/v1/members/{{id}} answered 200 after {phase.recovered_after:.1f} s")
    time.sleep(min(AFTER, time_left()))
    phase.give_up_at = min(phase.give_up_at, now() + DRAIN)
    phase.stop.set()
    log(f"{phase.name}: load stopped; waiting for answers (at most {DRAIN:.0f} s)")
    for t in threads:
        # A request sent just before giving up may wait its full timeout, then a pause.
        t.join(max(0.1, phase.give_up_at - now() + max(API_DEADLINE, PAGE_DEADLINE) + 4.0))
    stuck = sum(t.is_alive() for t in threads)
    if stuck:
        phase.notes.append(f"{stuck} client threads still busy after the drain")
    check_idle(phase, before)
    if CITUS:
        check_2pc_recovered(phase)
    summarise(phase)
    replay(phase)
    try:
        check_database(phase)
    except (RuntimeError, subprocess.SubprocessError, OSError, ValueError) as error:
        BREACHES.add(phase, "could not check the database", str(error)[:300])


def active_requests(client):
    """http_server_active_requests by method, less our own GET /metrics; None if /metrics did not answer."""
    answer = client.send("GET", "/metrics", count=False)
    if answer.status != 200:
        return None
    active = collections.Counter()
    for line in answer.text().splitlines():
        m = re.match(r'http_server_active_requests\{[^}]*http_request_method="([A-Z]+)"[^}]*\}\s+([0-9.e+]+)', line)
        if m:
            active[m.group(1)] += int(float(m.group(2)))
    active["GET"] -= 1
    return active


def check_idle(phase, before):
    """Once every client has its answer (or gave up), nothing may still be running inside the server
    (http_server_active_requests; at the latest 5 s later) beyond what ran before the phase."""
    client = Client(phase)
    end = now() + min(5.0, max(1.0, RUN_END - time.time() - 12.0))
    while True:
        active = active_requests(client)
        if active is not None:
            busy = {method: n - before.get(method, 0) for method, n in active.items() if n - before.get(method, 0) > 0}
            if not busy:
                break
        if now() > end:
            if active is None:
                BREACHES.add(phase, "requests still running inside the server 5 s after every client was done",
                             "GET /metrics did not answer")
            else:
                detail = ", ".join(f"{method} {n}" for method, n in sorted(busy.items()))
                total = ", ".join(f"{method} {n}" for method, n in sorted(active.items()) if n > 0)
                BREACHES.add(phase, "requests still running inside the server 5 s after every client was done",
                             f"http_server_active_requests: {detail} more than before the phase (now {total})")
            break
        time.sleep(0.5)
    client.close()


def summarise(phase):
    with LEDGER.lock:
        writes = [w for w in LEDGER.writes if w.phase is phase]
        web = [c for c in LEDGER.web_claims if c[0] is phase]
        cancels = [c for c in LEDGER.cancels if c[0] is phase]
    parts = []
    for op in ("claim", "redeem", "adjust", "merge"):
        mine = [w for w in writes if w.op == op]
        parts.append(f"{op} {sum(w.acknowledged() for w in mine)}/{len(mine)}"
                     f" ({sum(w.attempts > 1 for w in mine)} sent again)")
    parts.append(f"cancel {sum(c[2] == 'acknowledged' for c in cancels)}/{len(cancels)}")
    parts.append(f"web claims {sum(c[3] == 'acknowledged' for c in web)}/{len(web)}")
    phase.notes.insert(0, "acknowledged/sent: " + ", ".join(parts))
    if CITUS:
        live = " ".join(f"{k}:{v}" for k, v in sorted(phase.live.items()))
        phase.notes.insert(1, f"live clients (data wholly on the live worker): {sum(phase.live.values())} answers ({live or '-'})")
    if CITUS and phase.unavailable:
        phase.notes.insert(1, "503 answers by code: " + " ".join(f"{k}:{v}" for k, v in sorted(phase.unavailable.items())))


def log(message):
    print(f"[chaos] {message}", file=sys.stderr, flush=True)


def table(phases, sigterm):
    lines = []
    header = ("fault", "requests", "answers by status", "longest wait", "back after", "invariants")
    body = []
    for p in phases:
        statuses = " ".join(f"{k}:{v}" for k, v in sorted(p.statuses.items(), key=lambda kv: (kv[0].startswith("no"), kv[0])))
        kinds = BREACHES.of(p)
        invariants = "ok" if not kinds else f"BREACH ({sum(len(v) for v in kinds.values())} in {len(kinds)} kinds)"
        body.append((p.name, str(p.requests), statuses, f"{p.longest[0]:.1f} s", "-" if p.recovered_after is None else f"{p.recovered_after:.1f} s",
                     invariants))
    widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]
    widths[2] = min(widths[2], 70)
    fmt = lambda r: "  ".join(c.ljust(w) if i != 2 or len(c) <= w else c for i, (c, w) in enumerate(zip(r, widths)))
    lines.append(fmt(header))
    lines.append("  ".join("-" * w for w in widths))
    lines += [fmt(r) for r in body]
    lines.append("")
    for p in phases:
        extras = [f"{p.replays} replays checked"] + p.notes
        lines.append(f"{p.name}: longest wait {p.longest[0]:.1f} s ({p.longest[1] or '-'}); {'; '.join(extras)}")
        for kind, details in BREACHES.of(p).items():
            lines.append(f"  BREACH {kind}: {len(details)}")
            for d in details[:8]:
                lines.append(f"    - {d}")
            if len(details) > 8:
                lines.append(f"    … and {len(details) - 8} more (report: {os.path.join(OUT, 'breaches.json')})")
    lines.append("")
    lines.append("SIGTERM at the end: " + ("did not exit within 10 s (killed)" if sigterm is None else f"exited in {sigterm:.1f} s"))
    return "\n".join(lines)


def main():
    codes = [line.strip().rsplit("/", 1)[-1] for line in open(ENV["CHAOS_CODES"]) if line.strip()]
    random.seed(int(ENV.get("CHAOS_SEED", str(int(time.time())))))
    half = len(codes) * 3 // 4
    api_codes, web_codes = Pool(codes[:half]), Pool(codes[half:])
    gateway = SMSGateway()
    server = Server(gateway)
    setup = Phase("setup", None)
    names = {"kill": "kill -9 server", "pg-stop": "pg_ctl -m immediate stop", "terminate": "pg_terminate_backend",
             "worker-stop": f"Citus worker stopped {OUTAGE:.0f} s", "none": "no fault (control)"}
    faults = ENV.get("CHAOS_FAULTS", "kill,pg-stop,terminate").split(",")
    phases = [Phase(names[f], f) for f in faults]
    sigterm = 0.0
    try:
        server.start()
        client = Client(setup)
        for _ in range(100):
            if client.send("GET", "/readyz", count=False).status == 200:
                break
            time.sleep(0.1)
        client.close()
        workers = [APIWorker(i, api_codes) for i in range(API_WORKERS)]
        consumers = [Consumer(i, web_codes, gateway) for i in range(CONSUMERS)]
        if not CITUS:
            for w in workers:
                w.setup(setup)
        probe_member = next((m.id for w in workers for m in w.members if m.id), None)
        if CITUS:
            # Every client's set-up at once: a Citus cluster's start leaves less of the budget.
            live_codes, live_web_codes = split_live_codes(api_codes, 2000), split_live_codes(web_codes, 600)
            live_workers = [LiveWorker(i, live_codes) for i in range(LIVE_WORKERS)]
            live_consumers = [LiveConsumer(CONSUMERS + i, live_web_codes, gateway) for i in range(LIVE_CONSUMERS)]
            setups = [threading.Thread(target=guarded, args=(c.setup, setup), daemon=True)
                      for c in workers + live_workers + live_consumers]
            for t in setups:
                t.start()
            for t in setups:
                t.join()
            probe_member = next((m.id for w in workers for m in w.members if m.id), None)
            workers += live_workers
            consumers += live_consumers
            # The probe after the fault: a member on the stopped worker, so that its answer shows the way back.
            ids = [lid(m.id) for w in workers if not w.live for m in w.members if m.id]
            where = nodes_of("members", ids, "uuid")
            probe_member = next((i for i in ids if where.get(i) == STOPPED_PORT), probe_member)
            setup.notes.append(f"live clients: {sum(len(w.members) for w in live_workers)} API members and "
                               f"{len(live_consumers)} signed-in consumers wholly on the worker on port {LIVE_PORT}, "
                               f"{len(live_codes.codes)} + {len(live_web_codes.codes)} codes there; probe member on port {STOPPED_PORT}")
        if LEFT_OUT:
            setup.notes.append("left out of the load: " + ", ".join(sorted(LEFT_OUT)))
        if probe_member is None:
            log("setup failed: no member could be created (see the server log)")
            BREACHES.add(setup, "setup failed", "no API claim succeeded before the faults")
            phases = []
        for phase in phases:
            left = RUN_END - time.time()
            if left < (45 if CITUS else 60):  # a Citus phase has one fault: about 45 s with its checks
                BREACHES.add(phase, "run out of time", f"{left:.0f} s left of the run's budget; phase skipped")
                continue
            log(f"{phase.name}: load for {WARMUP:.0f} s, then the fault")
            run_phase(phase, workers, consumers, server, probe_member)
    finally:
        sigterm = server.stop()
    if gateway.bad_signatures:
        BREACHES.add(phases[-1] if phases else setup, "SMS webhook signature did not verify", f"{gateway.bad_signatures} deliveries")
    shown = ([setup] if BREACHES.of(setup) or setup.requests or setup.notes else []) + phases
    report = table(shown, sigterm)
    print(report)
    with open(os.path.join(OUT, "report.txt"), "w") as f:
        f.write(report + "\n")
    with open(os.path.join(OUT, "breaches.json"), "w") as f:
        json.dump({f"{i}. {p.name}": dict(BREACHES.of(p)) for i, p in enumerate(shown)}, f, indent=1, ensure_ascii=False)
    return 1 if BREACHES.by_phase else 0


if __name__ == "__main__":
    sys.exit(main())
