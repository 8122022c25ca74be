// RFC 9457 problem details: every error the API returns is one of these, with a stable
// `type` ("/problems/insufficient-stock"), a title, the status, a detail a person can
// act on, and extra members where they help (`field`, `available`, `results`).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "api/http_types.hpp"

namespace stockd {

HttpResponse problem(int status, std::string_view slug, std::string_view title, std::string detail,
                     boost::json::object extra = {});

// A validation problem about one field (422 /problems/validation unless `slug` says otherwise).
HttpResponse validation_problem(std::string field, std::string detail,
                                std::string_view slug = "validation",
                                std::string_view title = "Invalid request");

HttpResponse json_response(int status, const boost::json::value& body);

// 503 /problems/overloaded with Retry-After: the engine's queues are full.
HttpResponse overloaded_problem(boost::json::object extra = {});

// 501 in cluster mode for what runs only on one node for now (docs/SCALING.md):
// `what` names the operation.
HttpResponse not_in_cluster_mode(std::string_view what);

}  // namespace stockd
