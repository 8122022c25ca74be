-- wrk: GET /v1/availability/B-<random>?channel=web: one SKU's sellable units over the
-- channel's 10-location pool (buffers, reasons per location), read from its shard.
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("STOCKD_ADMIN_TOKEN")
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  return wrk.format("GET", string.format("/v1/availability/B-%d?channel=web", math.random(0, 9999)))
end

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end
