-- The bench's wrk script: each request is the next line of a request list, in turn, so that
-- with -c N and a list of N senders the N requests in flight are N different senders (wrk's
-- Lua cannot tell which connection asks for a request). Arguments after "--":
--   <request list> <txn prefix>
-- The list has one request a line: METHOD, PATH, ACCESS TOKEN and an optional JSON BODY, separated
-- by tabs; "{txn}" in PATH becomes <txn prefix> and a counter, unique within the run (sends and
-- to-device messages need a fresh transaction ID each). done() prints one JSON line of results.
local requests, count, prefix = {}, 0, ""

function init(args)
  prefix = args[2] or ""
  for line in io.lines(args[1]) do
    local method, path, token, body = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t?(.*)$")
    local head = " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " .. token .. "\r\n"
    if body ~= "" then head = head .. "Content-Type: application/json\r\n" end
    head = head .. "Content-Length: " .. #body .. "\r\n\r\n" .. body
    local before, after = path:match("^(.*){txn}(.*)$")
    if before then
      table.insert(requests, { method .. " " .. before, after .. head })
    else
      table.insert(requests, { method .. " " .. path .. head })
    end
  end
end

function request()
  count = count + 1
  local r = requests[count % #requests + 1]
  if r[2] then return r[1] .. prefix .. count .. r[2] end
  return r[1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"duration_us":%d,"bytes":%d,"errors":%d,"p50_us":%d,"p99_us":%d,'
    .. '"max_us":%d}\n', summary.requests, summary.duration, summary.bytes,
    e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50), latency:percentile(99),
    latency.max))
end
