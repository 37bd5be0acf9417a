// Text to tree: the filter grammar and the filterValues literal lists.
// Internal to the filter module; callers use Filter::Parse.
//
// The parser is hand-written recursive descent: the grammar has a dozen
// productions and one token of lookahead, which a parser generator would
// only make harder to build and to give good error messages for.
#pragma once

#include <string_view>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/filter/ast.h"

namespace recmart::filter::internal {

// Parses a whole filter (grammar in filter.h). InvalidArgument on error, the
// message starting "position N: " (1-based character position) and saying
// what was expected and what was found.
StatusOr<FilterAst> ParseFilter(std::string_view text);

// Parses a filterValues entry: one or more comma-separated literals in the
// filter's literal syntax ("\"shoes\",\"bags\"", "50"). InvalidArgument with
// a position (within `text`) on error, or when there are more than
// kMaxListValues literals.
StatusOr<std::vector<Literal>> ParseLiteralList(std::string_view text);

}  // namespace recmart::filter::internal
