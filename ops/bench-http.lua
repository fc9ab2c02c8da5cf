-- wrk script for ops/bench-http: one hot path, each request made from the next line of a data
-- file (ops/wrk.lua's lines(): thread i of n takes lines i, i+n, ...).
-- wrk -t THREADS -s ops/bench-http.lua URL -- KIND FILE THREADS STATUS PATTERN TAG [ARG ...]
--   KIND     get:    GET the path on the line; ARG: an API key (Bearer), or none for a page
--            redeem: POST /api/v1/members/ID/redemptions of one unit of a reward, ID the line;
--                    ARGs: API key, reward SKU
--            signin: POST /signin/code for "PHONE ADDRESS" on the line, the address in
--                    X-Forwarded-For; ARGs: a visitor's tally_csrf cookie and its CSRF token
--            claim:  POST /Q/CODE/claim for "SESSION CSRF CODE" on the line (the tally_session
--                    cookie, its CSRF token, the code)
--   STATUS   the status every answer should have; PATTERN a Lua pattern its body should hold
--            ("" for any body); others are counted as unexpected
--   TAG      prefix of the Idempotency-Keys (unique per run)
-- done() prints ops/wrk.lua's result line.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk.lua")

local kind, next_line, extra, tag
local sent = 0 -- requests made by this thread

function init(args)
    kind = args[1]
    local n = tonumber(args[3])
    next_line = lines(args[2], n)
    expect(tonumber(args[4]), args[5] ~= "" and args[5] or nil)
    tag = args[6]
    extra = { args[7], args[8] }
end

local function fields(line)
    local parts = {}
    for part in line:gmatch("%S+") do parts[#parts + 1] = part end
    return parts
end

local form = "application/x-www-form-urlencoded"

function request()
    local line = next_line()
    sent = sent + 1
    if kind == "get" then
        return wrk.format("GET", line, extra[1] and { ["Authorization"] = "Bearer " .. extra[1] } or {})
    elseif kind == "redeem" then
        return wrk.format("POST", "/api/v1/members/" .. line .. "/redemptions", {
            ["Authorization"] = "Bearer " .. extra[1],
            ["Content-Type"] = "application/json",
            ["Idempotency-Key"] = tag .. "-" .. id .. "-" .. sent,
        }, '{"reward":"' .. extra[2] .. '","quantity":1}')
    elseif kind == "signin" then
        local f = fields(line)
        return wrk.format("POST", "/signin/code", {
            ["Cookie"] = "tally_csrf=" .. extra[1],
            ["Content-Type"] = form,
            ["X-Forwarded-For"] = f[2],
        }, "csrf=" .. extra[2] .. "&phone=" .. f[1])
    elseif kind == "claim" then
        local f = fields(line)
        return wrk.format("POST", "/Q/" .. f[3] .. "/claim", {
            ["Cookie"] = "tally_session=" .. f[1],
            ["Content-Type"] = form,
        }, "csrf=" .. f[2])
    end
    error("unknown kind " .. tostring(kind))
end
