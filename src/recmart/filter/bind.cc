#include "recmart/filter/bind.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "recmart/filter/parser.h"

namespace recmart::filter::internal {
namespace {

char ToLowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char ToUpperAscii(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool EqualsUpper(std::string_view s, std::string_view upper) {
  return s.size() == upper.size() &&
         std::equal(s.begin(), s.end(), upper.begin(),
                    [](char a, char b) { return ToUpperAscii(a) == b; });
}

std::string RefName(Dataset dataset, std::string_view field) {
  return std::string(DatasetName(dataset)) + "." + std::string(field);
}

std::string PositionPrefix(size_t position) { return "position " + std::to_string(position); }

// Calls f(piece) for each non-empty '|'-separated piece of a string field's
// value until f returns true; returns whether it did.
template <typename F>
bool AnyPiece(std::string_view value, const F& f) {
  while (true) {
    const size_t bar = value.find('|');
    const std::string_view piece = value.substr(0, bar);
    if (!piece.empty() && f(piece)) return true;
    if (bar == std::string_view::npos) return false;
    value.remove_prefix(bar + 1);
  }
}

bool IsNegation(Op op) { return op == Op::kNotIn || op == Op::kNe; }

// Whether `v op x` holds for some x in `list` (sorted), with IN, NOT IN, =
// and != all testing membership; the caller negates for NOT IN and !=.
template <typename T, typename V>
bool SomeValueSatisfies(Op op, const std::vector<T>& list, const V& v) {
  if (list.empty()) return false;
  switch (op) {
    case Op::kIn:
    case Op::kNotIn:
    case Op::kEq:
    case Op::kNe:
      return std::binary_search(list.begin(), list.end(), v);
    case Op::kLt:
      return v < list.back();
    case Op::kLe:
      return v <= list.back();
    case Op::kGt:
      return v > list.front();
    case Op::kGe:
      return v >= list.front();
  }
  return false;
}

// A missing value has no values, so no value satisfies the test: IN, = and
// the orderings are false, NOT IN and != true.
bool MatchesRow(const BoundPredicate& p, const Table& table, size_t row) {
  bool some;
  if (p.type == FieldType::kNumber) {
    const double v = table.Number(p.field, row);
    some = !std::isnan(v) && SomeValueSatisfies(p.op, p.numbers, v);
  } else {
    some = AnyPiece(table.String(p.field, row), [&](std::string_view piece) {
      return SomeValueSatisfies(p.op, p.strings, piece);
    });
  }
  return some != IsNegation(p.op);
}

bool MatchesEvent(const BoundPredicate& p, std::string_view lower_event_type) {
  const bool some = !lower_event_type.empty() &&
                    (p.any_event || SomeValueSatisfies(p.op, p.strings, lower_event_type));
  return some != IsNegation(p.op);
}

template <typename LeafFn>
bool Holds(const BoundCondition& c, const LeafFn& leaf) {
  switch (c.kind) {
    case Condition::Kind::kPredicate:
      return leaf(c.predicate);
    case Condition::Kind::kAnd:
      return std::all_of(c.children.begin(), c.children.end(),
                         [&](const BoundCondition& child) { return Holds(child, leaf); });
    case Condition::Kind::kOr:
      return std::any_of(c.children.begin(), c.children.end(),
                         [&](const BoundCondition& child) { return Holds(child, leaf); });
  }
  return false;
}

StatusOr<FieldType> TypeOf(const Table& table, Dataset dataset, const std::string& field,
                           size_t position) {
  const std::optional<FieldType> type = table.Type(field);
  if (!type) {
    return Status::InvalidArgument(PositionPrefix(position) + ": unknown field " +
                                   RefName(dataset, field));
  }
  return *type;
}

// `source` says where the value came from: "position 31", "filterValues.X".
Status NotANumber(std::string_view source, std::string_view text, Dataset dataset,
                  std::string_view field) {
  std::string quoted;
  AppendQuoted(text, &quoted);
  return Status::InvalidArgument(std::string(source) + ": " + quoted + " is not a number (" +
                                 RefName(dataset, field) + " is a number field)");
}

// Adds one value to a predicate's list, converting it to the field's type.
Status AddValue(const Literal& literal, std::string_view source, BoundPredicate* p) {
  if (p->type == FieldType::kNumber) {
    const std::optional<double> number = ParseNumber(literal.text);
    if (!number) return NotANumber(source, literal.text, p->dataset, p->field);
    p->numbers.push_back(*number);
  } else if (p->dataset == Dataset::kInteractions) {
    std::string lower = literal.text;
    std::transform(lower.begin(), lower.end(), lower.begin(), ToLowerAscii);
    if (lower == "*") {
      p->any_event = true;
    } else {
      p->strings.push_back(std::move(lower));
    }
  } else {
    p->strings.push_back(literal.text);
  }
  return Status::OK();
}

// The literals of filterValues entry `name`, matched case-insensitively.
StatusOr<std::vector<Literal>> ParamValues(const std::string& name, const Bindings& bindings) {
  const std::string context = "filterValues." + name;
  const std::string* value = nullptr;
  const std::string* value_key = nullptr;
  if (bindings.values != nullptr) {
    for (const auto& [key, v] : *bindings.values) {
      if (!EqualsUpper(key, name)) continue;
      if (value != nullptr) {
        return Status::InvalidArgument(context + ": given twice, as \"" + *value_key + "\" and \"" +
                                       key + "\"");
      }
      value = &v;
      value_key = &key;
    }
  }
  if (value == nullptr) return Status::InvalidArgument(context + ": missing");
  StatusOr<std::vector<Literal>> literals = ParseLiteralList(*value);
  if (!literals.ok()) return literals.status().WithContext(context);
  return literals;
}

// The current item's values of field `term.name`: none when missing, the
// '|'-separated pieces of a string field, one number for a number field.
StatusOr<std::vector<Literal>> CurrentItemValues(const Term& term, const Table& items,
                                                 const Bindings& bindings) {
  const std::string ref = RefName(Dataset::kCurrentItem, term.name);
  if (!bindings.current_item) {
    return Status::InvalidArgument(PositionPrefix(term.position) + ": " + ref +
                                   " used but the request has no current item");
  }
  const size_t row = *bindings.current_item;
  if (row >= items.size()) {
    return Status::InvalidArgument("current item " + std::to_string(row) +
                                   " is not in the catalog of " + std::to_string(items.size()) +
                                   " items");
  }
  ASSIGN_OR_RETURN(const FieldType type,
                   TypeOf(items, Dataset::kCurrentItem, term.name, term.position));
  std::vector<Literal> literals;
  if (type == FieldType::kNumber) {
    const double v = items.Number(term.name, row);
    if (!std::isnan(v)) literals.push_back(Literal{false, FormatNumber(v)});
  } else {
    AnyPiece(items.String(term.name, row), [&](std::string_view piece) {
      literals.push_back(Literal{true, std::string(piece)});
      return false;
    });
  }
  return literals;
}

template <typename T>
void SortUnique(std::vector<T>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

StatusOr<BoundPredicate> BindPredicate(const Predicate& p, const Table* schema, const Table& items,
                                       const Bindings& bindings) {
  BoundPredicate bound;
  bound.dataset = p.dataset;
  bound.field = p.field;
  bound.op = p.op;
  if (p.dataset != Dataset::kInteractions && schema != nullptr) {
    ASSIGN_OR_RETURN(bound.type, TypeOf(*schema, p.dataset, p.field, p.position));
  }
  for (const Term& term : p.terms) {
    switch (term.kind) {
      case Term::Kind::kLiteral:
        RETURN_IF_ERROR(AddValue(term.literal, PositionPrefix(term.position), &bound));
        break;
      case Term::Kind::kParam: {
        ASSIGN_OR_RETURN(const std::vector<Literal> literals, ParamValues(term.name, bindings));
        const std::string source = "filterValues." + term.name;
        if (!TakesList(p.op) && literals.size() != 1) {
          return Status::InvalidArgument(source + ": " + RefName(p.dataset, p.field) + " " +
                                         std::string(OpText(p.op)) + " takes one value, got " +
                                         std::to_string(literals.size()));
        }
        for (const Literal& literal : literals) {
          RETURN_IF_ERROR(AddValue(literal, source, &bound));
        }
        break;
      }
      case Term::Kind::kCurrentItem: {
        ASSIGN_OR_RETURN(const std::vector<Literal> literals,
                         CurrentItemValues(term, items, bindings));
        const std::string source = RefName(Dataset::kCurrentItem, term.name);
        for (const Literal& literal : literals) {
          RETURN_IF_ERROR(AddValue(literal, source, &bound));
        }
        break;
      }
    }
  }
  SortUnique(&bound.strings);
  SortUnique(&bound.numbers);
  return bound;
}

Status ValidatePredicate(const Predicate& p, const Table& items, const Table* users) {
  const Table* schema = p.dataset == Dataset::kItems         ? &items
                        : p.dataset == Dataset::kCurrentUser ? users
                                                             : nullptr;
  std::optional<FieldType> type;
  if (schema != nullptr) {
    ASSIGN_OR_RETURN(type, TypeOf(*schema, p.dataset, p.field, p.position));
  }
  for (const Term& term : p.terms) {
    if (term.kind == Term::Kind::kCurrentItem) {
      ASSIGN_OR_RETURN(const FieldType item_type,
                       TypeOf(items, Dataset::kCurrentItem, term.name, term.position));
      if (type == FieldType::kNumber && item_type == FieldType::kString) {
        return Status::InvalidArgument(PositionPrefix(term.position) + ": " +
                                       RefName(p.dataset, p.field) + " is a number field but " +
                                       RefName(Dataset::kCurrentItem, term.name) +
                                       " is a string field");
      }
    } else if (term.kind == Term::Kind::kLiteral && type == FieldType::kNumber &&
               !ParseNumber(term.literal.text)) {
      return NotANumber(PositionPrefix(term.position), term.literal.text, p.dataset, p.field);
    }
  }
  return Status::OK();
}

void AppendPredicateKey(const BoundPredicate& p, std::string* out) {
  out->append(RefName(p.dataset, p.field)).append(" ").append(OpText(p.op)).append(" [");
  bool first = true;
  auto separate = [&] {
    if (!first) out->append(",");
    first = false;
  };
  for (const std::string& s : p.strings) {
    separate();
    AppendQuoted(s, out);
  }
  for (double d : p.numbers) {
    separate();
    out->append(FormatNumber(d));
  }
  if (p.any_event) {
    separate();
    out->append("*");
  }
  out->append("]");
}

}  // namespace

StatusOr<BoundCondition> Bind(const Condition& condition, const Table* schema, const Table& items,
                              const Bindings& bindings) {
  BoundCondition bound;
  bound.kind = condition.kind;
  if (condition.kind == Condition::Kind::kPredicate) {
    ASSIGN_OR_RETURN(bound.predicate, BindPredicate(condition.predicate, schema, items, bindings));
    return bound;
  }
  bound.children.reserve(condition.children.size());
  for (const Condition& child : condition.children) {
    ASSIGN_OR_RETURN(BoundCondition b, Bind(child, schema, items, bindings));
    bound.children.push_back(std::move(b));
  }
  return bound;
}

bool HoldsForRow(const BoundCondition& condition, const Table& table, size_t row) {
  return Holds(condition, [&](const BoundPredicate& p) { return MatchesRow(p, table, row); });
}

bool HoldsForEvent(const BoundCondition& condition, std::string_view lower_event_type) {
  return Holds(condition,
               [&](const BoundPredicate& p) { return MatchesEvent(p, lower_event_type); });
}

void AppendKey(const BoundCondition& condition, std::string* out) {
  if (condition.kind == Condition::Kind::kPredicate) {
    AppendPredicateKey(condition.predicate, out);
    return;
  }
  out->append("(");
  for (size_t i = 0; i < condition.children.size(); ++i) {
    if (i > 0) out->append(condition.kind == Condition::Kind::kAnd ? " AND " : " OR ");
    AppendKey(condition.children[i], out);
  }
  out->append(")");
}

bool ItemPart::Allows(const Table& items, size_t row) const {
  return std::all_of(clauses.begin(), clauses.end(), [&](const Clause& c) {
    return HoldsForRow(c.condition, items, row) == c.include;
  });
}

std::string ItemPart::Key(uint64_t version, size_t rows) const {
  std::string key;
  for (const Clause& c : clauses) {
    key.append(c.include ? "INCLUDE " : "EXCLUDE ");
    AppendKey(c.condition, &key);
    key.append(" | ");
  }
  key.append("version ").append(std::to_string(version));
  key.append(" rows ").append(std::to_string(rows));
  return key;
}

Status Validate(const FilterAst& ast, const Table& items, const Table* users) {
  Status status;
  ForEachPredicate(ast, [&](const Predicate& p) {
    if (status.ok()) status = ValidatePredicate(p, items, users);
  });
  return status;
}

}  // namespace recmart::filter::internal
