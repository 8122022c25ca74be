-- wrk: POST /v1/reservations of one unit at a random (SKU, location) of 10,000 x 10, or
-- always the same one when HOT=1 (a flash sale). Durable: 201 only after the write.
local hot = os.getenv("HOT") == "1"

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("STOCKD_ADMIN_TOKEN")
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  local sku, location = 0, 0
  if not hot then
    sku = math.random(0, 9999)
    location = math.random(0, 9)
  end
  local body = string.format('{"sku":"B-%d","channel":"web","location":"L%d","quantity":1,"ttl_seconds":86400}', sku, location)
  return wrk.format(nil, "/v1/reservations", nil, body)
end

function response(status, headers, body)
  if status ~= 201 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end
