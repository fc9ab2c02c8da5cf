-- wrk script for ops/load-claims: POST /api/v1/claims, one unique code per request.
-- wrk -t THREADS -s ops/load-claims.lua URL -- CODES SECRET MEMBERS RATE TAG THREADS [FIRST]
--   CODES    file of codes, one a line; thread i of n takes lines i, i+n, i+2n, ...
--   SECRET   API key with the claim scope
--   MEMBERS  identities u0..u(MEMBERS-1), one picked at random per request; the warm-up
--            (TAG starting with "warm") takes them in turn from FIRST instead, so that all exist
--   RATE     requests per second for the whole run (0: as fast as the connections go);
--            sends follow a fixed schedule, and lateness against it is reported, so the
--            latencies are those of an open-loop load as long as "late" stays near 0
--   TAG      prefix of the Idempotency-Keys (unique per run)
--   THREADS  the same as wrk's -t (wrk starts each thread before it sets up the next, so
--            setup() cannot tell the threads how many there are)
-- done() prints one line: "result key=value ..." for ops/load-claims to read.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } tally_timespec;
int clock_gettime(int clk_id, tally_timespec *tp);
]]
local ts = ffi.new("tally_timespec")
local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

-- Setup environment: number the threads.
local threads = {}
function setup(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end

-- Thread environment.
local codes, secret, members, interval, tag, warm, n, first
local sent = 0        -- requests made by this thread
local start, slot = nil, 0
-- Read by done() through thread:get, so global.
statuses = {}         -- status -> count
first_error = ""
ran_out = 0           -- requests that found no fresh code
late, late_max = 0, 0 -- sends more than 5 ms behind the schedule; the most behind (ms)

function init(args)
    n = tonumber(args[6])
    codes = assert(io.open(args[1], "r"))
    for _ = 1, id do codes:read("*l") end
    secret = args[2]
    members = tonumber(args[3])
    local rate = tonumber(args[4])
    interval = rate > 0 and (1000.0 * n / rate) or 0 -- ms between this thread's sends
    tag = args[5]
    warm = tag:sub(1, 4) == "warm"
    first = tonumber(args[7] or "0")
end

local last_code = "0"
local function next_code()
    local code = codes:read("*l")
    for _ = 2, n do codes:read("*l") end
    if code == nil then
        ran_out = ran_out + 1 -- the batch was too small: reuse a code, which fails (409)
        return last_code
    end
    last_code = code
    return code
end

-- Called before each request (with RATE > 0): wait for this thread's next slot.
function delay()
    if interval == 0 then return 0 end
    local t = now_ms()
    if start == nil then start = t end
    slot = slot + 1
    local due = start + slot * interval
    if due < t then
        local behind = t - due
        if behind > 5 then late = late + 1 end
        if behind > late_max then late_max = behind end
        return 0
    end
    return math.floor(due - t)
end

function request()
    local member
    if warm then member = (first + sent * n + id) % members else member = math.random(0, members - 1) end
    sent = sent + 1
    local body = '{"code":"' .. next_code() ..
        '","identity":{"channel":"wechat_unionid","external_id":"u' .. member .. '"}}'
    return wrk.format("POST", "/api/v1/claims", {
        ["Authorization"] = "Bearer " .. secret,
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = tag .. "-" .. id .. "-" .. sent,
    }, body)
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
    if status ~= 201 and first_error == "" then first_error = status .. " " .. body:sub(1, 200) end
end

function done(summary, latency, requests)
    local counts, ran, lates, late_ms, err = {}, 0, 0, 0, ""
    for _, thread in ipairs(threads) do
        for status, count in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + count end
        ran = ran + thread:get("ran_out")
        lates = lates + thread:get("late")
        late_ms = math.max(late_ms, thread:get("late_max"))
        if err == "" then err = thread:get("first_error") end
    end
    local ok, other = counts[201] or 0, 0
    for status, count in pairs(counts) do
        if status ~= 201 then other = other + count end
    end
    local e = summary.errors
    local seconds = summary.duration / 1e6
    io.write(string.format(
        "result requests=%d seconds=%.3f rps=%.1f ok_rps=%.1f ok=%d non201=%d socket_errors=%d timeouts=%d " ..
        "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f mean_ms=%.2f late=%d late_max_ms=%.1f ran_out=%d\n",
        summary.requests, seconds, summary.requests / seconds, ok / seconds, ok, other, e.connect + e.read + e.write, e.timeout,
        latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
        latency.max / 1000, latency.mean / 1000, lates, late_ms, ran))
    if err ~= "" then io.write("first_error " .. err:gsub("\n", " ") .. "\n") end
end
