// The simulation's report: one table model rendered three ways (JSON, HTML with SVG
// charts, a terminal table). Numbers are formatted here, not by a JSON library, so the
// bytes depend only on the figures.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "base/time.hpp"
#include "sim/simulation.hpp"

namespace stockd::sim {
namespace {

enum class Unit : uint8_t { count, share, seconds };

struct Row {
  std::string key;
  std::string label;
  Unit unit = Unit::count;
  bool lower_is_better = true;
  std::vector<double> values;  // per strategy
};

std::vector<Row> rows_of(const SimulationReport& report) {
  std::vector<Row> rows;
  const auto add = [&](std::string key, std::string label, Unit unit, bool lower_is_better,
                       auto value) {
    Row row{std::move(key), std::move(label), unit, lower_is_better, {}};
    for (const Scorecard& card : report.scorecards) row.values.push_back(value(card));
    rows.push_back(std::move(row));
  };
  using C = const Scorecard&;
  const auto n = [](int64_t value) { return static_cast<double>(value); };
  add("orders_accepted", "Online orders accepted", Unit::count, false,
      [&](C c) { return n(c.orders_accepted); });
  add("orders_fulfilled", "  fulfilled", Unit::count, false,
      [&](C c) { return n(c.orders_fulfilled); });
  add("orders_backordered", "  backordered (promised from a PO)", Unit::count, true,
      [&](C c) { return n(c.orders_backordered); });
  add("orders_canceled", "  canceled (oversold)", Unit::count, true,
      [&](C c) { return n(c.orders_canceled()); });
  add("canceled_oversold", "    nothing to allocate", Unit::count, true,
      [&](C c) { return n(c.canceled_oversold); });
  add("canceled_not_found", "    shelf short at the pick", Unit::count, true,
      [&](C c) { return n(c.canceled_not_found); });
  add("canceled_pickup_unavailable", "    pickup not there", Unit::count, true,
      [&](C c) { return n(c.canceled_pickup_unavailable); });
  add("oversold_units", "Oversold units", Unit::count, true,
      [&](C c) { return n(c.oversold_units); });
  add("cancellation_rate", "Cancellation rate", Unit::share, true,
      [&](C c) { return c.cancellation_rate(); });
  add("promise_accuracy", "Promise accuracy", Unit::share, false,
      [&](C c) { return c.promise_accuracy(); });
  add("pickup_promise_accuracy", "Pickup promise accuracy", Unit::share, false,
      [&](C c) { return c.pickup_promise_accuracy(); });
  add("lost_sales_orders", "Lost sales: shoppers turned away with stock there", Unit::count, true,
      [&](C c) { return n(c.lost_sales_orders); });
  add("lost_sales_units", "Lost sales units (buffers or stale channel)", Unit::count, true,
      [&](C c) { return n(c.lost_sales_units); });
  add("fact_lag_p50_seconds", "Event lag p50 (fact → stockd)", Unit::seconds, true,
      [&](C c) { return c.fact_lag.p50_seconds; });
  add("fact_lag_p95_seconds", "Event lag p95", Unit::seconds, true,
      [&](C c) { return c.fact_lag.p95_seconds; });
  add("facts_within_5_minutes", "Events in stockd within 5 min", Unit::share, false,
      [&](C c) { return c.fact_lag.within_5_minutes; });
  add("channel_lag_p50_seconds", "Channel lag p50 (stockd change → shown)", Unit::seconds, true,
      [&](C c) { return c.channel_lag.p50_seconds; });
  add("channel_lag_p95_seconds", "Channel lag p95", Unit::seconds, true,
      [&](C c) { return c.channel_lag.p95_seconds; });
  add("channel_updates_within_5_minutes", "Channel updates shown within 5 min of the change",
      Unit::share, false, [&](C c) { return c.channel_lag.within_5_minutes; });
  add("variance_units", "Reconciliation variance, units (end of day)", Unit::count, true,
      [&](C c) { return n(c.variance_units); });
  add("variance_positions", "  positions that differ", Unit::count, true,
      [&](C c) { return n(c.variance_positions); });
  for (size_t channel = 0; channel < report.scenario.channels.size(); ++channel) {
    const std::string& id = report.scenario.channels[channel].id;
    add("canceled_on_" + id, "Canceled on " + id, Unit::count, true,
        [&](C c) { return n(c.channels[channel].orders_canceled); });
    add("lost_sales_units_on_" + id, "Lost sales units on " + id, Unit::count, true,
        [&](C c) { return n(c.channels[channel].lost_sales_units); });
  }
  add("walk_in_units_sold", "Walk-in units sold", Unit::count, false,
      [&](C c) { return n(c.walk_in_units_sold); });
  add("walk_in_units_missed", "Walk-in units missed (empty shelf)", Unit::count, true,
      [&](C c) { return n(c.walk_in_units_missed); });
  add("no_stock_orders", "Online shoppers with nothing anywhere", Unit::count, true,
      [&](C c) { return n(c.no_stock_orders); });
  add("channel_updates", "Channel updates shown", Unit::count, true,
      [&](C c) { return n(c.channel_updates); });
  add("engine_facts", "Engine: facts applied", Unit::count, true,
      [&](C c) { return n(c.engine_facts); });
  add("engine_reservations", "Engine: reservation requests", Unit::count, true,
      [&](C c) { return n(c.engine_reservations); });
  return rows;
}

std::string format_value(double value, Unit unit) {
  switch (unit) {
    case Unit::count:
      return fmt::format("{}", static_cast<int64_t>(std::llround(value)));
    case Unit::share:
      return fmt::format("{:.2f} %", value * 100);
    case Unit::seconds: {
      const auto seconds = static_cast<int64_t>(std::llround(value));
      if (seconds < 120) return fmt::format("{} s", seconds);
      if (seconds < 7200) return fmt::format("{:.1f} min", value / 60);
      return fmt::format("{:.1f} h", value / 3600);
    }
  }
  return "";
}

std::string json_number(double value, Unit unit) {
  if (unit == Unit::share) return fmt::format("{:.6f}", value);
  return fmt::format("{}", static_cast<int64_t>(std::llround(value)));
}

std::string json_text(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string html_text(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

constexpr const char* kColors[] = {"#b45309", "#2563eb", "#059669", "#7c3aed"};

std::string color_of(Strategy strategy) { return kColors[static_cast<size_t>(strategy)]; }

// A horizontal bar per strategy.
std::string bar_chart(const SimulationReport& report, const Row& row) {
  constexpr int kWidth = 460;
  constexpr int kLabel = 130;
  constexpr int kBar = 22;
  const double top = std::max(1e-9, *std::max_element(row.values.begin(), row.values.end()));
  const int height = 30 + static_cast<int>(row.values.size()) * (kBar + 8);
  std::string svg = fmt::format(
      "<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 {} {}\" width=\"{}\" "
      "height=\"{}\" role=\"img\">",
      html_text(row.label), kWidth, height, kWidth, height);
  for (size_t i = 0; i < row.values.size(); ++i) {
    const int y = 10 + static_cast<int>(i) * (kBar + 8);
    const int length = static_cast<int>(std::lround(row.values[i] / top * (kWidth - kLabel - 90)));
    const Strategy strategy = report.scorecards[i].strategy;
    svg += fmt::format(
        "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"{}\" y=\"{}\" width=\"{}\" "
        "height=\"{}\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
        y + 15, strategy_name(strategy), kLabel, y, std::max(length, 1), kBar, color_of(strategy),
        kLabel + std::max(length, 1) + 6, y + 15, html_text(format_value(row.values[i], row.unit)));
  }
  return svg + "</svg></figure>\n";
}

// One line per strategy over the hours of the day.
std::string line_chart(const SimulationReport& report, const std::string& title,
                       int64_t HourFigures::*field) {
  constexpr int kWidth = 620;
  constexpr int kHeight = 220;
  constexpr int kLeft = 50;
  constexpr int kBottom = 30;
  const size_t hours = report.scorecards.empty() ? 0 : report.scorecards[0].hours.size();
  int64_t top = 1;
  for (const Scorecard& card : report.scorecards) {
    for (const HourFigures& hour : card.hours) top = std::max(top, hour.*field);
  }
  std::string svg = fmt::format(
      "<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 {} {}\" width=\"{}\" "
      "height=\"{}\" role=\"img\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" "
      "stroke=\"#888\"/><text x=\"0\" y=\"12\" font-size=\"11\">{}</text><text x=\"0\" "
      "y=\"{}\" font-size=\"11\">0</text>",
      html_text(title), kWidth, kHeight, kWidth, kHeight, kLeft, kHeight - kBottom, kWidth,
      kHeight - kBottom, top, kHeight - kBottom);
  const auto x_of = [&](size_t hour) {
    return kLeft + static_cast<double>(hour) * (kWidth - kLeft - 10) /
                       static_cast<double>(std::max<size_t>(1, hours - 1));
  };
  for (size_t hour = 0; hour < hours; hour += std::max<size_t>(1, hours / 8)) {
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\">{}h</text>", x_of(hour) - 6,
                       kHeight - 10, hour + 1);
  }
  for (const Scorecard& card : report.scorecards) {
    std::string points;
    for (size_t hour = 0; hour < card.hours.size(); ++hour) {
      const double y = (kHeight - kBottom) - static_cast<double>(card.hours[hour].*field) /
                                                 static_cast<double>(top) *
                                                 (kHeight - kBottom - 20);
      points += fmt::format("{:.1f},{:.1f} ", x_of(hour), y);
    }
    svg += fmt::format(
        "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"><title>{}</title>"
        "</polyline>",
        color_of(card.strategy), points, strategy_name(card.strategy));
  }
  return svg + "</svg></figure>\n";
}

const Row& row_named(const std::vector<Row>& rows, std::string_view key) {
  for (const Row& row : rows) {
    if (row.key == key) return row;
  }
  return rows.front();
}

}  // namespace

std::string report_json(const SimulationReport& report) {
  const Scenario& scenario = report.scenario;
  std::string out = "{\n";
  out += fmt::format(
      "  \"scenario\": {{\"name\": {}, \"description\": {}, \"start\": {}, \"hours\": {}, "
      "\"seed\": {}, \"skus\": {}, \"locations\": {}, \"happenings\": {}}},\n",
      json_text(scenario.name), json_text(scenario.description),
      json_text(format_rfc3339(scenario.start)), scenario.hours, report.seed, report.skus,
      report.locations, report.happenings);
  out += "  \"strategies\": [\n";
  const std::vector<Row> rows = rows_of(report);
  for (size_t i = 0; i < report.scorecards.size(); ++i) {
    const Scorecard& card = report.scorecards[i];
    out += fmt::format("    {{\"strategy\": {}", json_text(strategy_name(card.strategy)));
    for (const Row& row : rows) {
      out += fmt::format(", {}: {}", json_text(row.key), json_number(row.values[i], row.unit));
    }
    out += ",\n     \"hours\": [";
    for (size_t hour = 0; hour < card.hours.size(); ++hour) {
      const HourFigures& figures = card.hours[hour];
      out += fmt::format(
          "{}{{\"hour\": {}, \"oversold_orders\": {}, \"lost_sales_units\": {}, "
          "\"variance_units\": {}}}",
          hour == 0 ? "" : ", ", hour + 1, figures.oversold_orders, figures.lost_sales_units,
          figures.variance_units);
    }
    out += fmt::format("]}}{}\n", i + 1 < report.scorecards.size() ? "," : "");
  }
  out += "  ]\n}\n";
  return out;
}

std::string report_table(const SimulationReport& report) {
  const std::vector<Row> rows = rows_of(report);
  size_t label_width = 0;
  for (const Row& row : rows) label_width = std::max(label_width, row.label.size());
  constexpr size_t kColumn = 19;
  std::string out = fmt::format("{} — seed {}, {} h, {} SKUs × {} locations, {} happenings\n\n",
                                report.scenario.name, report.seed, report.scenario.hours,
                                report.skus, report.locations, report.happenings);
  out += fmt::format("{:<{}}", "", label_width);
  for (const Scorecard& card : report.scorecards) {
    out += fmt::format("{:>{}}", strategy_name(card.strategy), kColumn);
  }
  out += "\n";
  for (const Row& row : rows) {
    out += fmt::format("{:<{}}", row.label, label_width);
    for (const double value : row.values) {
      out += fmt::format("{:>{}}", format_value(value, row.unit), kColumn);
    }
    out += "\n";
  }
  return out;
}

std::string report_html(const SimulationReport& report) {
  const std::vector<Row> rows = rows_of(report);
  const Scenario& scenario = report.scenario;
  std::string out = fmt::format(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>stockd simulate: "
      "{}</title>\n<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;"
      "color:#1f2937}}table{{border-collapse:collapse;margin:1rem 0}}td,th{{padding:.3rem .7rem;"
      "border-bottom:1px solid #e5e7eb;text-align:right}}td:first-child,th:first-child{{"
      "text-align:left;white-space:pre}}td.best{{font-weight:700;background:#ecfdf5}}"
      ".charts{{display:flex;flex-wrap:wrap;gap:1.5rem}}figure{{margin:0}}figcaption{{"
      "font-weight:600;margin-bottom:.3rem}}</style></head><body>\n",
      html_text(scenario.name));
  out += fmt::format("<h1>{}</h1>\n<p>{}</p>\n", html_text(scenario.name),
                     html_text(scenario.description));
  out += fmt::format(
      "<p>Seed {} · {} simulated hours from {} · {} SKUs × {} locations · {} happenings "
      "(shoppers, returns, shrink, trucks, counts), the same under every strategy, each run "
      "against the real stockd engine.</p>\n",
      report.seed, scenario.hours, html_text(format_rfc3339(scenario.start)), report.skus,
      report.locations, report.happenings);
  out += "<table id=\"scorecard\"><thead><tr><th></th>";
  for (const Scorecard& card : report.scorecards) {
    out += fmt::format("<th style=\"color:{}\">{}</th>", color_of(card.strategy),
                       strategy_name(card.strategy));
  }
  out += "</tr></thead><tbody>\n";
  for (const Row& row : rows) {
    const double best = row.lower_is_better
                            ? *std::min_element(row.values.begin(), row.values.end())
                            : *std::max_element(row.values.begin(), row.values.end());
    out += fmt::format("<tr data-key=\"{}\"><td>{}</td>", row.key, html_text(row.label));
    for (const double value : row.values) {
      out += fmt::format("<td{}>{}</td>", value == best ? " class=\"best\"" : "",
                         html_text(format_value(value, row.unit)));
    }
    out += "</tr>\n";
  }
  out += "</tbody></table>\n<div class=\"charts\">\n";
  for (const std::string_view key :
       {"orders_canceled", "cancellation_rate", "lost_sales_units", "promise_accuracy",
        "fact_lag_p95_seconds", "variance_units"}) {
    out += bar_chart(report, row_named(rows, key));
  }
  out += line_chart(report, "Oversold orders by hour", &HourFigures::oversold_orders);
  out += line_chart(report, "Lost sales units by hour", &HourFigures::lost_sales_units);
  out +=
      line_chart(report, "Reconciliation variance (units) by hour", &HourFigures::variance_units);
  out +=
      "</div>\n<p>Every accepted order ends fulfilled, canceled or backordered. Lost sales "
      "count shoppers a channel turned away while the units were there (buffers or a stale "
      "feed); shoppers with nothing anywhere are counted apart. See docs/SIMULATION.md.</p>\n"
      "</body></html>\n";
  return out;
}

}  // namespace stockd::sim
