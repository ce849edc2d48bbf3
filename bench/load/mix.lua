-- wrk script for the load harness (bench/load): the same benign mix as the
-- Go generator. Every N-th request (the third argument after "--",
-- default 2; 0 for GETs only) is a POST with the JSON body read from the
-- file given after "--", the others a GET with a query; each comes from
-- the next of a pool of client addresses (the second argument, default
-- 65536) sent as X-Forwarded-For, so that no simulated client floods.
--
--   wrk -t2 -c32 -d5s -s mix.lua http://127.0.0.1:PORT -- body.json 65536 2

local body = ""
local n = 0
local clients = 65536
local every = 2

function init(args)
  local f = assert(io.open(args[1], "rb"))
  body = f:read("*a")
  f:close()
  clients = tonumber(args[2]) or clients
  every = tonumber(args[3]) or every
  n = math.random(0, clients - 1)
end

function request()
  n = n + 1
  local i = n % clients
  local headers = {
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    ["Accept"] = "application/json",
    ["Accept-Language"] = "en-GB,en;q=0.8",
    ["X-Forwarded-For"] = "10." .. (1 + math.floor(i / 65536) % 256) .. "." .. (math.floor(i / 256) % 256) .. "." .. (i % 256),
  }
  if every == 0 or n % every ~= every - 1 then
    return wrk.format("GET", "/api/v1/items?page=3&per_page=20&sort=name&q=blue+running+shoes", headers, nil)
  end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/v1/documents", headers, body)
end
