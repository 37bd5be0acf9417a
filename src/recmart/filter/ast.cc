#include "recmart/filter/ast.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace recmart::filter::internal {
namespace {

void AppendTerm(const Term& term, std::string* out) {
  switch (term.kind) {
    case Term::Kind::kLiteral:
      if (term.literal.is_string) {
        AppendQuoted(term.literal.text, out);
      } else {
        out->append(term.literal.text);
      }
      return;
    case Term::Kind::kParam:
      out->append("$").append(term.name);
      return;
    case Term::Kind::kCurrentItem:
      out->append(DatasetName(Dataset::kCurrentItem)).append(".").append(term.name);
      return;
  }
}

void AppendPredicate(const Predicate& p, std::string* out) {
  out->append(DatasetName(p.dataset)).append(".").append(p.field);
  out->append(" ").append(OpText(p.op)).append(" ");
  if (!TakesList(p.op)) {
    AppendTerm(p.terms.front(), out);
    return;
  }
  out->append("(");
  for (size_t i = 0; i < p.terms.size(); ++i) {
    if (i > 0) out->append(", ");
    AppendTerm(p.terms[i], out);
  }
  out->append(")");
}

void AppendCondition(const Condition& c, std::string* out) {
  if (c.kind == Condition::Kind::kPredicate) {
    AppendPredicate(c.predicate, out);
    return;
  }
  const bool is_and = c.kind == Condition::Kind::kAnd;
  for (size_t i = 0; i < c.children.size(); ++i) {
    if (i > 0) out->append(is_and ? " AND " : " OR ");
    // Only an OR inside an AND needs parentheses: AND binds tighter.
    const bool parens = is_and && c.children[i].kind == Condition::Kind::kOr;
    if (parens) out->append("(");
    AppendCondition(c.children[i], out);
    if (parens) out->append(")");
  }
}

}  // namespace

std::string_view OpText(Op op) {
  switch (op) {
    case Op::kIn:
      return "IN";
    case Op::kNotIn:
      return "NOT IN";
    case Op::kEq:
      return "=";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
  }
  return "?";
}

std::string_view DatasetName(Dataset dataset) {
  switch (dataset) {
    case Dataset::kItems:
      return "Items";
    case Dataset::kInteractions:
      return "Interactions";
    case Dataset::kCurrentItem:
      return "CurrentItem";
    case Dataset::kCurrentUser:
      return "CurrentUser";
  }
  return "?";
}

std::string ToString(const FilterAst& ast) {
  std::string out;
  for (size_t i = 0; i < ast.expressions.size(); ++i) {
    const Expression& e = ast.expressions[i];
    if (i > 0) out.append(" | ");
    out.append(e.include ? "INCLUDE" : "EXCLUDE").append(" ItemID WHERE ");
    AppendCondition(e.condition, &out);
    if (e.user_condition) {
      out.append(" IF ");
      AppendCondition(*e.user_condition, &out);
    }
  }
  return out;
}

void AppendQuoted(std::string_view text, std::string* out) {
  out->push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

std::optional<double> ParseNumber(std::string_view text) {
  // from_chars accepts neither a leading '+' nor the grammar's exact shape
  // (it also reads "inf", "nan" and hex digits), so check the shape first.
  std::string_view body = text;
  if (!body.empty() && (body.front() == '+' || body.front() == '-')) body.remove_prefix(1);
  size_t i = 0, digits = 0;
  auto skip_digits = [&] {
    size_t n = 0;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, ++n;
    return n;
  };
  digits += skip_digits();
  if (i < body.size() && body[i] == '.') {
    ++i;
    digits += skip_digits();
  }
  if (digits == 0) return std::nullopt;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    if (skip_digits() == 0) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;

  double value = 0;
  const char* begin = text.data() + (text.front() == '+' ? 1 : 0);
  const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::string FormatNumber(double value) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, ec == std::errc() ? end : buf);
}

}  // namespace recmart::filter::internal
