#include "api/problem.hpp"

#include <boost/json/serialize.hpp>

#include "base/utf8.hpp"

namespace stockd {
namespace {

// Every string in `value`, however deep, made valid UTF-8 (a refusal may quote what the
// client sent; JSON must stay UTF-8).
void make_valid_utf8(boost::json::value& value) {
  if (value.is_string()) {
    if (!is_valid_utf8(value.as_string())) value = valid_utf8(value.as_string());
  } else if (value.is_object()) {
    for (auto& [key, member] : value.as_object()) make_valid_utf8(member);
  } else if (value.is_array()) {
    for (boost::json::value& item : value.as_array()) make_valid_utf8(item);
  }
}

}  // namespace

HttpResponse problem(int status, std::string_view slug, std::string_view title, std::string detail,
                     boost::json::object extra) {
  boost::json::object body;
  body["type"] = "/problems/" + std::string(slug);
  body["title"] = title;
  body["status"] = status;
  body["detail"] = std::move(detail);
  for (auto& [key, value] : extra) body[key] = std::move(value);
  // The detail and the extras may quote the request (its target, a query value, a file's
  // header): JSON must stay UTF-8.
  boost::json::value whole = std::move(body);
  make_valid_utf8(whole);
  HttpResponse response;
  response.status = status;
  response.set_header("Content-Type", "application/problem+json");
  response.body = boost::json::serialize(whole);
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

HttpResponse not_in_cluster_mode(std::string_view what) {
  return problem(501, "not-in-cluster-mode", "Not available in cluster mode",
                 std::string(what) +
                     " span several partitions and run on single-node stockd only for now; "
                     "see docs/SCALING.md");
}

}  // namespace stockd
