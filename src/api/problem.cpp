#include "api/problem.hpp"

#include <boost/json/serialize.hpp>

#include "base/utf8.hpp"

namespace stockd {

HttpResponse problem(int status, std::string_view slug, std::string_view title, std::string detail,
                     boost::json::object extra) {
  boost::json::object body;
  body["type"] = "/problems/" + std::string(slug);
  body["title"] = title;
  body["status"] = status;
  // A detail may quote the request (its target, a query value): JSON must stay UTF-8.
  body["detail"] = valid_utf8(detail);
  for (auto& [key, value] : extra) {
    if (value.is_string()) value = valid_utf8(value.as_string());
    body[key] = std::move(value);
  }
  HttpResponse response;
  response.status = status;
  response.set_header("Content-Type", "application/problem+json");
  response.body = boost::json::serialize(body);
  return response;
}

HttpResponse validation_problem(std::string field, std::string detail, std::string_view slug,
                                std::string_view title) {
  boost::json::object extra;
  extra["field"] = std::move(field);
  return problem(422, slug, title, std::move(detail), std::move(extra));
}

HttpResponse json_response(int status, const boost::json::value& body) {
  HttpResponse response;
  response.status = status;
  response.set_header("Content-Type", "application/json");
  response.body = boost::json::serialize(body);
  return response;
}

HttpResponse overloaded_problem(boost::json::object extra) {
  HttpResponse response =
      problem(503, "overloaded", "Overloaded",
              "the engine's queues are full; retry after 1 s (applied events come back duplicate)",
              std::move(extra));
  response.set_header("Retry-After", "1");
  return response;
}

}  // namespace stockd
