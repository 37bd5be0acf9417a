#include "recmart/serve/requests.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <span>

#include "recmart/engine/recommend.h"

namespace recmart::serve {

using json = nlohmann::json;

namespace {

// Reads the fields of one JSON object, checking names, types, ranges and
// string sizes; every error names the field ("eventList[2].itemId: ...").
class Fields {
 public:
  Fields(const json& obj, std::string prefix, size_t max_string)
      : obj_(obj), prefix_(std::move(prefix)), max_string_(max_string) {}

  std::string Name(std::string_view key) const { return prefix_ + std::string(key); }
  Status Error(std::string_view key, std::string_view what) const {
    return Status::InvalidArgument(Name(key) + ": " + std::string(what));
  }

  // Fails on a field not in `known`.
  Status Only(std::initializer_list<std::string_view> known) const {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      bool ok = false;
      for (std::string_view k : known) ok = ok || it.key() == k;
      if (!ok) return Error(it.key(), "unknown field");
    }
    return Status::OK();
  }

  const json* Get(std::string_view key) const {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  Status CheckString(std::string_view key, const std::string& s) const {
    if (s.size() > max_string_) {
      return Error(key, "longer than " + std::to_string(max_string_) + " bytes");
    }
    return Status::OK();
  }

  Status String(std::string_view key, std::string* out, bool required = false) const {
    const json* v = Get(key);
    if (v == nullptr) return required ? Error(key, "required (a string)") : Status::OK();
    if (!v->is_string()) return Error(key, "expected a string");
    *out = v->get<std::string>();
    if (required && out->empty()) return Error(key, "expected a non-empty string");
    return CheckString(key, *out);
  }

  Status Int(std::string_view key, int64_t lo, int64_t hi, int64_t* out) const {
    const json* v = Get(key);
    if (v == nullptr) return Status::OK();
    if (!v->is_number_integer() &&
        !(v->is_number_float() && v->get<double>() == std::floor(v->get<double>()))) {
      return Error(key,
                   "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    }
    const double d = v->get<double>();
    if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
      return Error(key,
                   "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    }
    *out = static_cast<int64_t>(d);
    return Status::OK();
  }

  Status Number(std::string_view key, double lo, double hi, double* out,
                bool required = false) const {
    const json* v = Get(key);
    if (v == nullptr) return required ? Error(key, "required (a number)") : Status::OK();
    if (!v->is_number()) return Error(key, "expected a number");
    const double d = v->get<double>();
    if (!(d >= lo && d <= hi)) {
      return Error(key, "expected a number from " + json(lo).dump() + " to " + json(hi).dump());
    }
    *out = d;
    return Status::OK();
  }

  Status StringList(std::string_view key, size_t max_items, std::vector<std::string>* out) const {
    const json* v = Get(key);
    if (v == nullptr) return Status::OK();
    if (!v->is_array()) return Error(key, "expected an array of strings");
    if (v->size() > max_items) {
      return Error(key, "at most " + std::to_string(max_items) + " entries");
    }
    for (const json& e : *v) {
      if (!e.is_string()) return Error(key, "expected an array of strings");
      out->push_back(e.get<std::string>());
      RETURN_IF_ERROR(CheckString(key, out->back()));
    }
    return Status::OK();
  }

  // filterValues: {"NAME": "\"a\",\"b\""} (numbers are taken as their text).
  Status FilterValues(std::string_view key, std::map<std::string, std::string>* out) const {
    const json* v = Get(key);
    if (v == nullptr) return Status::OK();
    if (!v->is_object()) return Error(key, "expected an object of NAME: \"value\" pairs");
    for (auto it = v->begin(); it != v->end(); ++it) {
      const std::string name = Name(key) + "." + it.key();
      if (it->is_string()) {
        (*out)[it.key()] = it->get<std::string>();
      } else if (it->is_number()) {
        (*out)[it.key()] = it->dump();
      } else {
        return Status::InvalidArgument(name + ": expected a string");
      }
      if ((*out)[it.key()].size() > max_string_) {
        return Status::InvalidArgument(name + ": longer than " + std::to_string(max_string_) +
                                       " bytes");
      }
    }
    return Status::OK();
  }

 private:
  const json& obj_;
  std::string prefix_;
  size_t max_string_;
};

StatusOr<json> ParseBody(std::string_view body) {
  if (body.empty()) return Status::InvalidArgument("body: expected a JSON object");
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("body: malformed JSON");
  if (!j.is_object()) return Status::InvalidArgument("body: expected a JSON object");
  return j;
}

// '+' is a space, %XX (two hex digits) a byte; a '%' not followed by two
// hex digits stays as it is.
std::string PercentDecode(std::string_view s) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) && hex(s[i + 2])) {
      // Both digits checked first: from_chars alone would take "%-1" as -1.
      int v = 0;
      auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (r.ec == std::errc() && r.ptr == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
      } else {
        out += s[i];
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

// GET query parameters as a JSON object of the POST body's shape.
StatusOr<json> QueryToJson(std::string_view query) {
  json j = json::object();
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view kv = query.substr(start, amp - start);
    start = amp + 1;
    if (kv.empty()) continue;
    const size_t eq = kv.find('=');
    const std::string key = PercentDecode(kv.substr(0, eq));
    const std::string value = eq == std::string_view::npos ? "" : PercentDecode(kv.substr(eq + 1));
    if (key == "numResults" || key == "offset") {
      int64_t n = 0;
      auto r = std::from_chars(value.data(), value.data() + value.size(), n);
      if (r.ec != std::errc() || r.ptr != value.data() + value.size()) {
        return Status::InvalidArgument(key + ": expected an integer");
      }
      j[key] = n;
    } else if (key == "exploration") {
      char* end = nullptr;
      const double d = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size()) {
        return Status::InvalidArgument(key + ": expected a number");
      }
      j[key] = d;
    } else if (key == "filterValues") {
      json v = json::parse(value, nullptr, false);
      if (v.is_discarded()) return Status::InvalidArgument("filterValues: malformed JSON");
      j[key] = std::move(v);
    } else if (key == "exclude") {
      json list = json::array();
      size_t s = 0;
      while (s <= value.size()) {
        size_t c = value.find(',', s);
        if (c == std::string::npos) c = value.size();
        if (c > s) list.push_back(value.substr(s, c - s));
        s = c + 1;
      }
      j[key] = std::move(list);
    } else {
      j[key] = value;
    }
  }
  return j;
}

// The fields recommendations and similar items share: user, paging, the
// filter, the exclude list and context. Defaults come from `r`.
template <typename Request>
Status ReadListFields(const Fields& f, Request* r) {
  int64_t n = static_cast<int64_t>(r->num_results), offset = 0;
  Status s = f.String("userId", &r->user_id);
  if (s.ok()) s = f.Int("numResults", 1, static_cast<int64_t>(kMaxNumResults), &n);
  if (s.ok()) s = f.Int("offset", 0, 10000, &offset);
  if (s.ok()) s = f.String("filter", &r->filter);
  if (s.ok()) s = f.FilterValues("filterValues", &r->filter_values);
  if (s.ok()) s = f.StringList("exclude", 1000, &r->exclude);
  if (s.ok() && f.Get("context") && !f.Get("context")->is_object()) {
    s = f.Error("context", "expected an object");
  }
  r->num_results = static_cast<size_t>(n);
  r->offset = static_cast<size_t>(offset);
  return s;
}

}  // namespace

StatusOr<RecommendRequest> ParseRecommendRequest(std::string_view method, std::string_view body,
                                                 std::string_view query, size_t max_string) {
  ASSIGN_OR_RETURN(const json j, method == "GET" ? QueryToJson(query) : ParseBody(body));
  Fields f(j, "", max_string);
  RecommendRequest r;
  RETURN_IF_ERROR(f.Only({"userId", "numResults", "offset", "filter", "filterValues", "context",
                          "exclude", "exploration"}));
  RETURN_IF_ERROR(ReadListFields(f, &r));
  RETURN_IF_ERROR(f.Number("exploration", 0.0, 1.0, &r.exploration));
  return r;
}

StatusOr<SimilarRequest> ParseSimilarRequest(std::string_view body, size_t max_string) {
  ASSIGN_OR_RETURN(const json j, ParseBody(body));
  Fields f(j, "", max_string);
  SimilarRequest r;
  RETURN_IF_ERROR(f.Only({"itemId", "userId", "numResults", "offset", "filter", "filterValues",
                          "context", "exclude"}));
  RETURN_IF_ERROR(f.String("itemId", &r.item_id, /*required=*/true));
  RETURN_IF_ERROR(ReadListFields(f, &r));
  return r;
}

StatusOr<RankRequest> ParseRankRequest(std::string_view body, size_t max_string) {
  ASSIGN_OR_RETURN(const json j, ParseBody(body));
  Fields f(j, "", max_string);
  RankRequest r;
  RETURN_IF_ERROR(f.Only({"userId", "inputList", "filter", "filterValues", "context"}));
  RETURN_IF_ERROR(f.String("userId", &r.user_id));
  if (!f.Get("inputList")) return f.Error("inputList", "required (an array of item ids)");
  RETURN_IF_ERROR(f.StringList("inputList", engine::kMaxRankItems, &r.input));
  if (r.input.empty()) return f.Error("inputList", "expected at least one item id");
  RETURN_IF_ERROR(f.String("filter", &r.filter));
  RETURN_IF_ERROR(f.FilterValues("filterValues", &r.filter_values));
  return r;
}

StatusOr<EventBatch> ParseEventsRequest(std::string_view body, size_t max_string) {
  ASSIGN_OR_RETURN(const json j, ParseBody(body));
  Fields f(j, "", max_string);
  EventBatch batch;
  RETURN_IF_ERROR(f.Only({"sessionId", "userId", "eventList"}));
  RETURN_IF_ERROR(f.String("sessionId", &batch.session_id, /*required=*/true));
  RETURN_IF_ERROR(f.String("userId", &batch.user_id));
  const json* list = f.Get("eventList");
  if (list == nullptr || !list->is_array() || list->empty() || list->size() > 10) {
    return f.Error("eventList", "expected an array of 1 to 10 events");
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const json& e = (*list)[i];
    const std::string prefix = "eventList[" + std::to_string(i) + "].";
    if (!e.is_object()) return Status::InvalidArgument(prefix + ": expected an object");
    Fields ef(e, prefix, max_string);
    abtest::LoggedEvent le;
    std::string rid;
    double value = 0;
    RETURN_IF_ERROR(ef.Only({"eventId", "eventType", "itemId", "sentAt", "eventValue",
                             "recommendationId", "properties", "impression"}));
    RETURN_IF_ERROR(ef.String("eventType", &le.event_type, /*required=*/true));
    RETURN_IF_ERROR(ef.String("itemId", &le.item_id, /*required=*/true));
    RETURN_IF_ERROR(ef.Number("sentAt", 0, 1e11, &le.sent_at, /*required=*/true));
    RETURN_IF_ERROR(ef.Number("eventValue", -1e15, 1e15, &value));
    RETURN_IF_ERROR(ef.String("recommendationId", &rid));
    RETURN_IF_ERROR(ef.String("eventId", &le.event_id));
    if (const json* props = ef.Get("properties")) {
      if (!props->is_object()) return ef.Error("properties", "expected an object");
      le.properties_json = props->dump();
      if (le.properties_json.size() > max_string) return ef.Error("properties", "too large");
    }
    if (ef.Get("eventValue")) le.event_value = value;
    if (!rid.empty()) le.recommendation_id = rid;
    for (char& c : le.event_type)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    batch.events.push_back(std::move(le));
  }
  return batch;
}

StatusOr<std::vector<std::pair<std::string, Record>>> ParseRecordsRequest(std::string_view body,
                                                                          bool items,
                                                                          size_t max_string) {
  ASSIGN_OR_RETURN(const json j, ParseBody(body));
  const char* list_key = items ? "items" : "users";
  const char* id_key = items ? "itemId" : "userId";
  std::span<const FieldDef> defs =
      items ? std::span<const FieldDef>(kItemFieldDefs) : std::span<const FieldDef>(kUserFieldDefs);
  Fields f(j, "", max_string);
  RETURN_IF_ERROR(f.Only({list_key}));
  const json* list = f.Get(list_key);
  if (list == nullptr || !list->is_array() || list->empty() || list->size() > 100) {
    return f.Error(list_key, "expected an array of 1 to 100 records");
  }
  std::vector<std::pair<std::string, Record>> records;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& e = (*list)[i];
    const std::string prefix = std::string(list_key) + "[" + std::to_string(i) + "].";
    if (!e.is_object()) return Status::InvalidArgument(prefix + ": expected an object");
    Fields ef(e, prefix, max_string);
    std::string id;
    RETURN_IF_ERROR(ef.Only({id_key, "properties"}));
    RETURN_IF_ERROR(ef.String(id_key, &id, /*required=*/true));
    const json* props = ef.Get("properties");
    if (props == nullptr || !props->is_object()) {
      return ef.Error("properties", "expected an object of FIELD: value");
    }
    Record r;
    r.strings.assign(defs.size(), "");
    r.numbers.assign(defs.size(), std::numeric_limits<double>::quiet_NaN());
    for (auto it = props->begin(); it != props->end(); ++it) {
      std::string upper = it.key();
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const std::string name = prefix + "properties." + it.key();
      const int fi = FieldIndex(defs, upper);
      if (fi < 0) {
        std::string known;
        for (const FieldDef& d : defs) known += (known.empty() ? "" : ", ") + std::string(d.name);
        return Status::InvalidArgument(name + ": unknown field (expected one of " + known + ")");
      }
      const size_t k = static_cast<size_t>(fi);
      if (it->is_null()) continue;
      if (defs[k].type == filter::FieldType::kNumber) {
        if (!it->is_number()) return Status::InvalidArgument(name + ": expected a number");
        r.numbers[k] = it->get<double>();
      } else if (it->is_boolean()) {
        r.strings[k] = it->get<bool>() ? "yes" : "no";
      } else if (it->is_string()) {
        r.strings[k] = it->get<std::string>();
        if (r.strings[k].size() > max_string) {
          return Status::InvalidArgument(name + ": longer than " + std::to_string(max_string) +
                                         " bytes");
        }
        // AVAILABLE is what filters compare with "yes" / "no", and what the
        // ETL accepts when it ingests the items log: only those two.
        if (items && upper == "AVAILABLE") {
          std::string& v = r.strings[k];
          for (char& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          if (v != "yes" && v != "no") {
            return Status::InvalidArgument(name + ": expected \"yes\", \"no\" or a boolean");
          }
        }
      } else {
        return Status::InvalidArgument(name + ": expected a string");
      }
      r.present |= 1u << k;
    }
    records.emplace_back(std::move(id), std::move(r));
  }
  return records;
}

}  // namespace recmart::serve
