// Binding: a parsed condition plus one request (filterValues, the current
// item, field types from the tables) gives a bound condition that holds only
// literals, so evaluating it needs nothing but a table row or an event type.
// Internal to the filter module; callers use filter.h.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/filter/ast.h"
#include "recmart/filter/filter.h"
#include "recmart/filter/table.h"

namespace recmart::filter::internal {

// `dataset.field op values`, the values resolved and typed.
struct BoundPredicate {
  Dataset dataset = Dataset::kItems;    // kItems, kInteractions or kCurrentUser
  std::string field;                    // upper case
  FieldType type = FieldType::kString;  // kString for Interactions.EVENT_TYPE
  Op op = Op::kIn;
  std::vector<std::string> strings;  // type kString: sorted, unique; event types lower case
  std::vector<double> numbers;       // type kNumber: sorted, unique
  bool any_event = false;            // Interactions: the list holds the wildcard "*"
};

// Same shape as Condition.
struct BoundCondition {
  Condition::Kind kind = Condition::Kind::kPredicate;
  BoundPredicate predicate;
  std::vector<BoundCondition> children;
};

// Binds one condition. Field types come from `schema`: the item table for
// Items predicates, the user table for CurrentUser predicates; for an unknown
// user pass nullptr, which types every field as a string so that binding
// still checks filterValues and CurrentItem (a request's errors then do not
// depend on which user it is for). Interactions predicates ignore `schema`.
// InvalidArgument for an unknown field, a missing or malformed filterValues
// entry, CurrentItem without a current item, or a non-number for a number
// field.
StatusOr<BoundCondition> Bind(const Condition& condition, const Table* schema, const Table& items,
                              const Bindings& bindings);

// Whether row `row` of `table` satisfies `condition`.
// REQUIRES: `condition` was bound with `table` as schema; row < table.size().
bool HoldsForRow(const BoundCondition& condition, const Table& table, size_t row);

// Whether an interaction with this event type satisfies an Interactions
// condition. REQUIRES: `lower_event_type` is lower case.
bool HoldsForEvent(const BoundCondition& condition, std::string_view lower_event_type);

// Appends an unambiguous text for `condition` with every value resolved:
// equal texts mean equal conditions.
void AppendKey(const BoundCondition& condition, std::string* out);

// The item-metadata expressions of a filter, bound for one request.
struct ItemPart {
  struct Clause {
    bool include = false;
    BoundCondition condition;
  };
  std::vector<Clause> clauses;  // every expression over Items that applies to the request

  // Whether item `row` passes every clause. REQUIRES: row < items.size().
  bool Allows(const Table& items, size_t row) const;
  // The cache key of this part for a table at `version` with `rows` rows.
  std::string Key(uint64_t version, size_t rows) const;
};

// Checks every reference of `ast` against the tables: Items and CurrentItem
// fields against `items`, CurrentUser fields against `users` (skipped when
// null), and literals compared with number fields. InvalidArgument with the
// position of the first problem.
Status Validate(const FilterAst& ast, const Table& items, const Table* users);

}  // namespace recmart::filter::internal
