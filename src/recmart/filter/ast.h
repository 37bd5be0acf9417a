// The parsed form of a filter: a tree, never text pasted into a query.
// Internal to the filter module; callers use filter.h.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recmart::filter::internal {

enum class Op { kIn, kNotIn, kEq, kNe, kLt, kLe, kGt, kGe };

// "IN", "NOT IN", "=", "!=", "<", "<=", ">", ">=".
std::string_view OpText(Op op);
// IN and NOT IN take a list; the other operators take one value.
inline bool TakesList(Op op) { return op == Op::kIn || op == Op::kNotIn; }

enum class Dataset { kItems, kInteractions, kCurrentItem, kCurrentUser };

// "Items", "Interactions", "CurrentItem", "CurrentUser".
std::string_view DatasetName(Dataset dataset);

// A literal as written. A number keeps its source text ("+5", "1e3"): the
// canonical form prints it back unchanged, and a string field compares
// against that text. A string holds its unescaped contents.
struct Literal {
  bool is_string = false;
  std::string text;
};

// One value of a predicate: a literal, a $PARAM or a CurrentItem.FIELD.
struct Term {
  enum class Kind { kLiteral, kParam, kCurrentItem };
  Kind kind = Kind::kLiteral;
  Literal literal;      // kLiteral
  std::string name;     // kParam: the name without '$'; kCurrentItem: the field. Upper case.
  size_t position = 0;  // 1-based character position in the filter text
};

// `dataset.field op terms`.
struct Predicate {
  Dataset dataset = Dataset::kItems;  // kItems, kInteractions or kCurrentUser
  std::string field;                  // upper case
  size_t position = 0;                // of the reference
  Op op = Op::kIn;
  std::vector<Term> terms;  // at least one; exactly one unless TakesList(op)
};

// A predicate, or an AND / OR of two or more conditions. The parser flattens
// nesting, so no child has the kind of its parent.
struct Condition {
  enum class Kind { kPredicate, kAnd, kOr };
  Kind kind = Kind::kPredicate;
  Predicate predicate;  // kPredicate
  std::vector<Condition> children;
};

// INCLUDE|EXCLUDE ItemID WHERE condition [IF user_condition].
struct Expression {
  bool include = false;
  Dataset dataset = Dataset::kItems;  // of every predicate in `condition`: kItems or kInteractions
  Condition condition;
  std::optional<Condition> user_condition;  // predicates over kCurrentUser only
};

// Expressions chained with '|'; at least one.
struct FilterAst {
  std::vector<Expression> expressions;
};

// Canonical text: keywords upper case, dataset names as in DatasetName(),
// IN lists always parenthesised, parentheses only where AND/OR precedence
// needs them. Parsing it gives an equal tree.
std::string ToString(const FilterAst& ast);

// Appends `"text"` with '"' and '\' escaped, the string literal syntax.
void AppendQuoted(std::string_view text, std::string* out);

// Calls f(const Predicate&) for every predicate of `condition`, left to right.
template <typename F>
void ForEachPredicate(const Condition& condition, const F& f) {
  if (condition.kind == Condition::Kind::kPredicate) {
    f(condition.predicate);
    return;
  }
  for (const Condition& child : condition.children) ForEachPredicate(child, f);
}

// Calls f(const Predicate&) for every predicate of every expression,
// including IF clauses.
template <typename F>
void ForEachPredicate(const FilterAst& ast, const F& f) {
  for (const Expression& e : ast.expressions) {
    ForEachPredicate(e.condition, f);
    if (e.user_condition) ForEachPredicate(*e.user_condition, f);
  }
}

// The number syntax of literals: an optional sign, digits with an optional
// fraction, an optional exponent ("-3", "+2.5", ".5", "1e-3"). nullopt when
// `text` is not exactly such a number or is not finite.
std::optional<double> ParseNumber(std::string_view text);

// The shortest text that ParseNumber reads back as `value`.
// REQUIRES: value is finite.
std::string FormatNumber(double value);

}  // namespace recmart::filter::internal
