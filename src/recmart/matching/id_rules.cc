#include "recmart/matching/id_rules.h"

#include <algorithm>
#include <cctype>

namespace recmart::matching {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v'; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

struct Named {
  std::string_view name;
  IdRuleKind kind;
  bool takes_arg;
};
constexpr Named kRules[] = {
    {"trim", IdRuleKind::kTrim, false},
    {"upper", IdRuleKind::kUpper, false},
    {"lower", IdRuleKind::kLower, false},
    {"collapse_spaces", IdRuleKind::kCollapseSpaces, false},
    {"strip_spaces", IdRuleKind::kStripSpaces, false},
    {"strip_separators", IdRuleKind::kStripSeparators, false},
    {"strip_prefix", IdRuleKind::kStripPrefix, true},
    {"strip_suffix", IdRuleKind::kStripSuffix, true},
    {"strip_leading_zeros", IdRuleKind::kStripLeadingZeros, false},
};
constexpr char kVocabulary[] =
    "trim, upper, lower, collapse_spaces, strip_spaces, strip_separators, strip_prefix:P, "
    "strip_suffix:S, strip_leading_zeros";

}  // namespace

StatusOr<IdRule> ParseIdRule(std::string_view text) {
  size_t colon = text.find(':');
  std::string_view name = text.substr(0, colon);
  for (const Named& n : kRules) {
    if (n.name != name) continue;
    IdRule rule;
    rule.kind = n.kind;
    if (n.takes_arg) {
      if (colon == std::string_view::npos || colon + 1 == text.size()) {
        return Status::InvalidArgument("rule \"" + std::string(text) + "\" needs an argument (" +
                                       std::string(name) + ":TEXT)");
      }
      rule.arg = std::string(text.substr(colon + 1));
    } else if (colon != std::string_view::npos) {
      return Status::InvalidArgument("rule \"" + std::string(name) + "\" takes no argument");
    }
    return rule;
  }
  return Status::InvalidArgument("unknown item id rule \"" + std::string(text) +
                                 "\" (expected one of " + kVocabulary + ")");
}

StatusOr<std::vector<IdRule>> ParseIdRules(const std::vector<std::string>& texts) {
  std::vector<IdRule> out;
  for (const std::string& t : texts) {
    ASSIGN_OR_RETURN(IdRule r, ParseIdRule(t));
    out.push_back(std::move(r));
  }
  return out;
}

std::string NormalizeItemId(std::string_view id, const std::vector<IdRule>& rules) {
  std::string s(id);
  for (const IdRule& r : rules) {
    switch (r.kind) {
      case IdRuleKind::kTrim: {
        size_t b = 0, e = s.size();
        while (b < e && IsSpace(s[b])) ++b;
        while (e > b && IsSpace(s[e - 1])) --e;
        s = s.substr(b, e - b);
        break;
      }
      case IdRuleKind::kUpper:
        std::transform(s.begin(), s.end(), s.begin(), Upper);
        break;
      case IdRuleKind::kLower:
        std::transform(s.begin(), s.end(), s.begin(), Lower);
        break;
      case IdRuleKind::kCollapseSpaces: {
        std::string out;
        bool in_space = false;
        for (char c : s) {
          if (IsSpace(c)) {
            if (!in_space) out += ' ';
            in_space = true;
          } else {
            out += c;
            in_space = false;
          }
        }
        s = std::move(out);
        break;
      }
      case IdRuleKind::kStripSpaces:
        std::erase_if(s, IsSpace);
        break;
      case IdRuleKind::kStripSeparators:
        std::erase_if(s, [](char c) {
          return IsSpace(c) || c == '-' || c == '_' || c == '.' || c == '/' || c == ':';
        });
        break;
      case IdRuleKind::kStripPrefix:
        if (s.size() >= r.arg.size() &&
            EqualsIgnoreCase(std::string_view(s).substr(0, r.arg.size()), r.arg))
          s.erase(0, r.arg.size());
        break;
      case IdRuleKind::kStripSuffix:
        if (s.size() >= r.arg.size() &&
            EqualsIgnoreCase(std::string_view(s).substr(s.size() - r.arg.size()), r.arg))
          s.erase(s.size() - r.arg.size());
        break;
      case IdRuleKind::kStripLeadingZeros: {
        size_t z = 0;
        while (z + 1 < s.size() && s[z] == '0') ++z;
        s.erase(0, z);
        break;
      }
    }
  }
  return s;
}

}  // namespace recmart::matching
