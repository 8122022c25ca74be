-- wrk: POST /v1/events with 100 receipts per request.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("STOCKD_ADMIN_TOKEN")
end

function request()
  local events = {}
  for i = 1, 100 do
    counter = counter + 1
    events[i] = string.format(
      '{"id":"wrkb%s-%d-%d-%d","source":"wms","type":"receipt","sku":"BENCH-%d","location":"W1","quantity":1,"occurred_at":"2026-11-27T10:00:00Z"}',
      os.getenv("BENCH_ID_PREFIX") or "", os.time(), thread_id, counter, counter % 1000)
  end
  return wrk.format(nil, "/v1/events", nil, '{"events":[' .. table.concat(events, ",") .. ']}')
end
