-- wrk: POST /v1/reservations, one unit of one of 1,000 well-stocked SKUs per request.
local counter = 0

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("STOCKD_ADMIN_TOKEN")
end

function request()
  counter = counter + 1
  local body = string.format('{"sku":"BENCH-%d","channel":"web","quantity":1,"ttl_seconds":3600}', counter % 1000)
  return wrk.format(nil, "/v1/reservations", nil, body)
end

function response(status, headers, body)
  if status ~= 201 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end
