// Writers for the impression and event logs. Called on the request path, so
// lines are built by appending to one string, without a JSON DOM.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <iterator>

#include "recmart/abtest/abtest.h"
#include "recmart/common/json_text.h"

namespace recmart::abtest {
namespace {

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, end);
}

// Shortest round-trip form ("19.99", "1732000000"); null when not finite,
// which JSON cannot express.
void AppendDouble(double v, std::string* out) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  fmt::format_to(std::back_inserter(*out), "{}", v);
}

// Appends `,"key":` (without the comma for the first field).
void Key(const char* key, bool first, std::string* out) {
  if (!first) out->push_back(',');
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

}  // namespace

void AppendImpressionLine(const Impression& imp, std::string* out) {
  out->push_back('{');
  Key("recommendationId", true, out);
  AppendJsonString(imp.recommendation_id, out);
  Key("ts", false, out);
  AppendInt(imp.ts_ms, out);
  Key("endpoint", false, out);
  AppendJsonString(imp.endpoint, out);
  Key("userId", false, out);
  AppendJsonString(imp.user_id, out);
  Key("campaign", false, out);
  AppendJsonString(imp.campaign, out);
  Key("variant", false, out);
  AppendJsonString(imp.variant, out);
  Key("modelVersion", false, out);
  AppendJsonString(imp.model_version, out);
  Key("items", false, out);
  out->push_back('[');
  for (size_t i = 0; i < imp.items.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(imp.items[i], out);
  }
  out->append("]}\n");
}

std::string FormatImpressionLine(const Impression& impression) {
  std::string line;
  line.reserve(160 + 16 * impression.items.size());
  AppendImpressionLine(impression, &line);
  return line;
}

void AppendEventLine(const LoggedEvent& e, std::string* out) {
  out->push_back('{');
  Key("eventId", true, out);
  AppendJsonString(e.event_id, out);
  Key("receivedAt", false, out);
  AppendInt(e.received_at_ms, out);
  Key("sessionId", false, out);
  AppendJsonString(e.session_id, out);
  Key("userId", false, out);
  AppendJsonString(e.user_id, out);
  Key("eventType", false, out);
  AppendJsonString(e.event_type, out);
  Key("itemId", false, out);
  AppendJsonString(e.item_id, out);
  Key("sentAt", false, out);
  AppendDouble(e.sent_at, out);
  Key("eventValue", false, out);
  if (e.event_value) {
    AppendDouble(*e.event_value, out);
  } else {
    out->append("null");
  }
  Key("recommendationId", false, out);
  if (e.recommendation_id) {
    AppendJsonString(*e.recommendation_id, out);
  } else {
    out->append("null");
  }
  Key("properties", false, out);
  out->append(e.properties_json.empty() ? std::string_view("{}") : e.properties_json);
  out->append("}\n");
}

std::string FormatEventLine(const LoggedEvent& event) {
  std::string line;
  line.reserve(256 + event.properties_json.size());
  AppendEventLine(event, &line);
  return line;
}

}  // namespace recmart::abtest
