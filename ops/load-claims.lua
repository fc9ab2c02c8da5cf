-- wrk script for ops/load-claims and ops/bench-http: POST /api/v1/claims, one unique code per
-- request; every answer should be 201.
-- wrk -t THREADS -s ops/load-claims.lua URL -- CODES SECRET MEMBERS RATE TAG THREADS [FIRST]
--   CODES    file of codes, one a line; thread i of n takes lines i, i+n, i+2n, ...
--   SECRET   API key with the claim scope
--   MEMBERS  identities u0..u(MEMBERS-1), one picked at random per request; the warm-up
--            (TAG starting with "warm") takes them in turn from FIRST instead, so that all exist
--   RATE     requests per second for the whole run (0: as fast as the connections go), on the
--            fixed schedule of ops/wrk.lua
--   TAG      prefix of the Idempotency-Keys (unique per run)
--   THREADS  the same as wrk's -t
-- done() prints ops/wrk.lua's result line.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk.lua")

local next_code, secret, members, tag, warm, n, first
local sent = 0 -- requests made by this thread

function init(args)
    n = tonumber(args[6])
    next_code = lines(args[1], n) -- a code used again is refused (409): reported as unexpected
    secret = args[2]
    members = tonumber(args[3])
    schedule(tonumber(args[4]), n)
    tag = args[5]
    warm = tag:sub(1, 4) == "warm"
    first = tonumber(args[7] or "0")
    expect(201)
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
