-- wrk: GET /v1/availability/{sku}?channel=web over 1,000 SKUs.
local counter = 0

function init(args)
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("STOCKD_ADMIN_TOKEN")
end

function request()
  counter = counter + 1
  return wrk.format("GET", string.format("/v1/availability/BENCH-%d?channel=web", counter % 1000))
end
