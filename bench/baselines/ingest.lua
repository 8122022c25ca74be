-- wrk: POST /v1/events with NDJSON batches of 1,000 receipt facts, every id unique
-- (thread, request, line), at random (SKU, location) of 10,000 x 10. Durable: 200 only
-- after the write. Events/s = requests/s x 1,000.
local thread_id = 0
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-ndjson"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("STOCKD_ADMIN_TOKEN")
  math.randomseed(os.time() + thread_id)
end

function request()
  counter = counter + 1
  local lines = {}
  for i = 1, 1000 do
    lines[i] = string.format(
      '{"id":"in-%d-%d-%d","source":"wms","type":"receipt","sku":"B-%d","location":"L%d","quantity":1,"occurred_at":"2026-11-28T09:00:00Z"}',
      thread_id, counter, i, math.random(0, 9999), math.random(0, 9))
  end
  return wrk.format(nil, "/v1/events", nil, table.concat(lines, "\n"))
end

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. "\n")
  end
end
