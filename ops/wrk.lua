-- What the wrk scripts of ops/ share (ops/load-claims.lua, ops/bench-http.lua): thread numbers,
-- data files read a line a request, a fixed-rate schedule, the count of unexpected answers, and
-- the result line that ops/lib.sh's wrk_field reads. A script loads it first, from its own folder:
--   dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk.lua")
-- and calls expect() and schedule() from its init(). wrk runs the script in one Lua state per
-- thread (init, delay, request, response) and in one more (setup, done).
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

-- Setup state: number the threads. wrk starts each thread before it sets up the next, so
-- setup() cannot tell them how many there are: the scripts take that as an argument.
local threads = {}
function setup(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end

-- Thread state; done() reads it through thread:get, so global.
statuses = {}         -- status -> count
unexpected = 0        -- answers without the expected status (and body)
first_error = ""      -- the first of them
reused = 0            -- requests that found no fresh line in their data file and took one again
late, late_max = 0, 0 -- sends more than 5 ms behind the schedule; the most behind (ms)

local want_status, want_body
-- expect(STATUS, PATTERN): what every answer should be: STATUS, with a body in which the Lua
-- pattern PATTERN is found (nil: any body).
function expect(status, pattern)
    want_status, want_body = status, pattern
end

-- lines(PATH, N): this thread's share of a data file of N threads, a line a call: lines id+1,
-- id+1+N, id+1+2N, ...; when they run out, from the start again (counted in `reused`).
function lines(path, n)
    local all = {}
    for line in io.lines(path) do all[#all + 1] = line end
    assert(#all > 0, path .. " is empty")
    local k = id
    return function()
        if k >= #all then reused = reused + 1 end
        local line = all[k % #all + 1]
        k = k + n
        return line
    end
end

-- schedule(RATE, N): RATE requests a second from all N threads together (0: as fast as the
-- connections go). Sends follow a fixed schedule and lateness against it is counted, so the
-- latencies are those of an open-loop load as long as `late` stays near 0.
local interval, start, slot = 0, nil, 0 -- ms between this thread's sends
function schedule(rate, n)
    interval = rate > 0 and (1000.0 * n / rate) or 0
end

-- Called before each request: wait for this thread's next slot.
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

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
    if status ~= want_status or (want_body and not body:find(want_body)) then
        unexpected = unexpected + 1
        if first_error == "" then first_error = status .. " " .. body:sub(1, 200) end
    end
end

-- One line: "result key=value ..." (ok_rps: expected answers a second; statuses: every status
-- with its count), then "first_error STATUS BODY" if there was one.
function done(summary, latency, requests)
    local counts, answers, bad, again, lates, late_ms, err = {}, 0, 0, 0, 0, 0, ""
    for _, thread in ipairs(threads) do
        for status, count in pairs(thread:get("statuses")) do
            counts[status] = (counts[status] or 0) + count
            answers = answers + count
        end
        bad = bad + thread:get("unexpected")
        again = again + thread:get("reused")
        lates = lates + thread:get("late")
        late_ms = math.max(late_ms, thread:get("late_max"))
        if err == "" then err = thread:get("first_error") end
    end
    local list = {}
    for status, count in pairs(counts) do list[#list + 1] = status .. ":" .. count end
    table.sort(list)
    local e = summary.errors
    local seconds = summary.duration / 1e6
    io.write(string.format(
        "result requests=%d seconds=%.3f rps=%.1f ok_rps=%.1f ok=%d unexpected=%d socket_errors=%d timeouts=%d " ..
        "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f mean_ms=%.2f late=%d late_max_ms=%.1f reused=%d statuses=%s\n",
        summary.requests, seconds, summary.requests / seconds, (answers - bad) / seconds, answers - bad, bad,
        e.connect + e.read + e.write, e.timeout,
        latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
        latency.max / 1000, latency.mean / 1000, lates, late_ms, again, #list > 0 and table.concat(list, ",") or "none"))
    if err ~= "" then io.write("first_error " .. err:gsub("\n", " ") .. "\n") end
end
