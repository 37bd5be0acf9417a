// The filter expression language (filter/filter.h): parse, print back,
// validate, bind and evaluate against a small fixed catalog, as the API
// server does for a request's `filter` and `filterValues`.
//
// Input: the filter text up to the first '\n'; each further line
// "NAME=VALUE" is a filterValues entry (the literal-list syntax). Parameters
// without an entry get "\"shoes\"".
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/filter/filter.h"
#include "recmart/filter/parser.h"

namespace filter = recmart::filter;

namespace {

void Check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_filter: invariant failed: %s: %s\n", what,
                 std::string(detail).c_str());
    std::abort();
  }
}

// A table over a few rows of text; a column is a number column when its name
// is in `numbers`. "" is a missing value.
class FixedTable : public filter::Table {
 public:
  FixedTable(std::vector<std::string> names, std::vector<std::string> numbers,
             std::vector<std::vector<std::string>> rows)
      : names_(std::move(names)), numbers_(std::move(numbers)), rows_(std::move(rows)) {}

  size_t size() const override { return rows_.size(); }
  std::optional<filter::FieldType> Type(std::string_view field) const override {
    for (const std::string& n : numbers_) {
      if (n == field) return filter::FieldType::kNumber;
    }
    for (const std::string& n : names_) {
      if (n == field) return filter::FieldType::kString;
    }
    return std::nullopt;
  }
  std::string_view String(std::string_view field, size_t row) const override {
    return rows_[row][Column(field)];
  }
  double Number(std::string_view field, size_t row) const override {
    const std::string& s = rows_[row][Column(field)];
    return s.empty() ? std::nan("") : std::strtod(s.c_str(), nullptr);
  }
  uint64_t version() const override { return 1; }

 private:
  size_t Column(std::string_view field) const {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == field) return i;
    }
    std::abort();  // the filter module asked for a field Type() denied
  }

  std::vector<std::string> names_, numbers_;
  std::vector<std::vector<std::string>> rows_;
};

const FixedTable& Items() {
  static const FixedTable t({"ITEM_ID", "CATEGORY_L1", "BRAND", "PRICE", "AVAILABLE"}, {"PRICE"},
                            {{"i01", "shoes", "nike", "59.99", "yes"},
                             {"i02", "shoes|sale", "adidas", "39.5", "yes"},
                             {"i03", "bags", "gucci", "450", "no"},
                             {"i04", "", "", "", ""},
                             {"i05", "toys||sale", "\"q\\", "-0", "yes"}});
  return t;
}

const FixedTable& Users() {
  static const FixedTable t({"USER_ID", "SEGMENT", "AGE"}, {"AGE"},
                            {{"u1", "retail", "34"}, {"u2", "retail|vip", ""}});
  return t;
}

void EvaluateOnce(const filter::Filter& f, const filter::Bindings& b, filter::BitmapCache* cache) {
  static const filter::HistoryEntry kHistory[] = {
      {0, "purchase"}, {1, "View"}, {2, "add_to_cart"}, {4, "view"}};
  auto result = filter::Evaluate(f, Items(), b, kHistory, cache);
  if (!result.ok()) return;
  for (uint32_t i = 0; i <= Items().size(); ++i) {
    const bool allowed = result->Allows(i);
    Check(i < Items().size() || !allowed, "rows past the table are never allowed");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nl = in.find('\n');
  const std::string_view text = in.substr(0, nl);

  std::map<std::string, std::string> values;
  if (nl != std::string_view::npos) {
    std::string_view rest = in.substr(nl + 1);
    while (!rest.empty()) {
      const size_t end = rest.find('\n');
      const std::string_view line = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      const size_t eq = line.find('=');
      if (eq == std::string_view::npos) continue;
      (void)filter::internal::ParseLiteralList(line.substr(eq + 1));
      values[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
  }

  auto parsed = filter::Filter::Parse(text);
  if (!parsed.ok()) return 0;
  const filter::Filter& f = *parsed;

  // The canonical text parses back to itself.
  const std::string canonical = f.ToString();
  auto again = filter::Filter::Parse(canonical);
  Check(again.ok(), "the canonical text parses", canonical);
  Check(again->ToString() == canonical, "the canonical text is a fixed point", canonical);

  for (const std::string& p : f.Parameters()) {
    bool given = false;
    for (const auto& [name, value] : values) {
      std::string upper = name;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      given = given || upper == p;
    }
    if (!given) values[p] = "\"shoes\"";
  }
  (void)f.UsesCurrentItem();
  (void)f.UsesInteractions();
  (void)f.Validate(Items(), &Users());
  (void)f.Validate(Items(), nullptr);

  filter::BitmapCache cache(4);
  filter::Bindings known;
  known.values = &values;
  known.current_item = 1;
  known.current_user = &Users();
  known.current_user_row = 1;
  EvaluateOnce(f, known, &cache);
  EvaluateOnce(f, known, &cache);  // from the cache
  filter::Bindings unknown;
  unknown.values = &values;
  EvaluateOnce(f, unknown, nullptr);
  return 0;
}
