// Item id normalisation: the rules a source declares in the project file
// (`item_id_rules = ["trim", "upper", "strip_prefix:SKU-", ...]`) so that
// "sku-00123 ", "SKU-123" and "123" from different exports become one
// ITEM_ID. Rules apply in the order written; each is a pure string function.
//
// Vocabulary:
//   trim                 drop leading/trailing whitespace
//   upper | lower        ASCII case folding
//   collapse_spaces      runs of whitespace become one space
//   strip_spaces         remove all whitespace
//   strip_separators     remove whitespace and - _ . / :
//   strip_prefix:P       remove a leading P (ASCII case-insensitive), once
//   strip_suffix:S       remove a trailing S (ASCII case-insensitive), once
//   strip_leading_zeros  "000123" → "123", "000" → "0"; only the leading run
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "recmart/common/status.h"

namespace recmart::matching {

enum class IdRuleKind {
  kTrim,
  kUpper,
  kLower,
  kCollapseSpaces,
  kStripSpaces,
  kStripSeparators,
  kStripPrefix,
  kStripSuffix,
  kStripLeadingZeros,
};

struct IdRule {
  IdRuleKind kind = IdRuleKind::kTrim;
  std::string arg;  // the prefix or suffix; empty otherwise
};

// Parses one rule ("strip_prefix:SKU-"). InvalidArgument naming the
// vocabulary for an unknown rule or a missing/unexpected argument.
StatusOr<IdRule> ParseIdRule(std::string_view text);
StatusOr<std::vector<IdRule>> ParseIdRules(const std::vector<std::string>& texts);

// Applies `rules` in order. With no rules, returns `id` unchanged.
std::string NormalizeItemId(std::string_view id, const std::vector<IdRule>& rules);

}  // namespace recmart::matching
