-- wrk: POST /v1/availability/query for 1,000 SKUs per request.
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("STOCKD_ADMIN_TOKEN")
  local skus = {}
  for i = 0, 999 do skus[i + 1] = string.format('"BENCH-%d"', i) end
  wrk.body = '{"channel":"web","skus":[' .. table.concat(skus, ",") .. ']}'
end

function request()
  return wrk.format(nil, "/v1/availability/query")
end
