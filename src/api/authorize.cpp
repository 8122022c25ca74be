// Least privilege beyond scopes: what a token bound to a source, vendor, channel or set
// of locations may do. Every refusal is a 403 problem that says what was not allowed.
#include <boost/json.hpp>

#include "api/handlers.hpp"
#include "api/problem.hpp"

namespace stockd {
namespace {

HttpResponse forbidden(std::string_view slug, std::string detail) {
  return problem(403, slug, "Forbidden", std::move(detail));
}

}  // namespace

std::optional<HttpResponse> forbid_location(const Principal& principal, std::string_view location) {
  if (principal.may_write_at(location)) return std::nullopt;
  return forbidden("forbidden-location",
                   "this token may not write at location '" + std::string(location) + "'");
}

std::optional<HttpResponse> forbid_channel(const Principal& principal, std::string_view channel) {
  if (principal.may_use_channel(channel)) return std::nullopt;
  return forbidden("forbidden-channel",
                   "this token may not act on channel '" + std::string(channel) + "'");
}

std::optional<HttpResponse> forbid_vendor(const Principal& principal, std::string_view vendor) {
  if (!principal.is(PrincipalKind::vendor) || principal.restrictions.principal == vendor) {
    return std::nullopt;
  }
  return forbidden("forbidden-vendor", "this token speaks for vendor '" +
                                           principal.restrictions.principal + "', not '" +
                                           std::string(vendor) + "'");
}

std::optional<HttpResponse> forbid_kind(const Principal& principal, PrincipalKind kind,
                                        std::string_view what) {
  if (!principal.is(kind)) return std::nullopt;
  return forbidden("forbidden-for-principal", "a " + std::string(principal_kind_name(kind)) +
                                                  " token may not " + std::string(what));
}

std::optional<HttpResponse> forbid_facts(const ApiContext& api, const Principal& principal,
                                         const std::vector<Event>& events) {
  const TokenRestrictions& r = principal.restrictions;
  for (const Event& event : events) {
    if (auto refusal = forbid_location(principal, event.location)) return refusal;
    if (event.type == EventType::transfer_out) {
      if (auto refusal = forbid_location(principal, event.to_location)) return refusal;
    }
    if (r.kind == PrincipalKind::source && event.source != r.principal) {
      return forbidden("forbidden-source", "this token speaks for source '" + r.principal +
                                               "', not '" + event.source + "'");
    }
    if (r.kind == PrincipalKind::vendor) {
      // A vendor reports what it delivered: receipts naming its own POs or ASNs.
      bool own = false;
      if (event.type == EventType::receipt && !event.reference.empty()) {
        if (const auto po = api.engine.find_purchase_order(event.reference)) {
          own = po->vendor == r.principal;
        } else if (const auto asn = api.engine.find_asn(event.reference)) {
          own = asn->vendor == r.principal;
        }
      }
      if (!own) {
        return forbidden("forbidden-vendor",
                         "a vendor token may only send receipts naming its own POs or ASNs");
      }
    }
  }
  return std::nullopt;
}

}  // namespace stockd
