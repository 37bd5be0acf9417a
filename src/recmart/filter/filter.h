// Named business filters: the expression language users of managed
// recommendation services (Amazon Personalize) know, parsed into a tree,
// bound per request and evaluated against in-memory item metadata and the
// user's history. Never turned into SQL.
//
//   EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")
//   INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)
//   INCLUDE ItemID WHERE Items.PRICE <= $MAX_PRICE | EXCLUDE ItemID WHERE ...
//   INCLUDE ItemID WHERE Items.CATEGORY_L1 IN CurrentItem.CATEGORY_L1
//   EXCLUDE ItemID WHERE Items.AVAILABLE IN ("no") IF CurrentUser.SEGMENT IN ("b2b")
//
// Grammar. Keywords, dataset and field names are case-insensitive; field and
// parameter names are normalised to upper case.
//   filter      := expression ( '|' expression )*
//   expression  := (EXCLUDE | INCLUDE) ItemID WHERE condition [ IF condition ]
//   condition   := conjunction ( OR conjunction )*
//   conjunction := primary ( AND primary )*
//   primary     := '(' condition ')' | predicate
//   predicate   := ref op value
//   ref         := Items.FIELD | Interactions.EVENT_TYPE     (before IF)
//                | CurrentUser.FIELD                          (after IF)
//   op          := IN | NOT IN | = | != | < | <= | > | >=
//   value       := term | '(' term ( ',' term )* ')'         (lists only for IN, NOT IN)
//   term        := literal | $PARAM | CurrentItem.FIELD
//   literal     := "string" (escapes \" and \\) | number (-3, 2.5, .5, 1e3)
// The predicates before IF all read Items or all read Interactions ("AND/OR
// within one dataset"); Interactions has only EVENT_TYPE, which takes IN,
// NOT IN, = and !=. Limits are in limits.h.
//
// Semantics.
//  - A chain allows an item when every expression allows it. INCLUDE allows
//    the items that satisfy the condition, EXCLUDE the ones that do not. An
//    expression whose IF condition is false allows everything; so does one
//    with an IF clause when the user is unknown (no user metadata).
//  - Items: an item satisfies `Items.F op list` when some value v of the item
//    and some x in the list have `v op x`, where IN and = test equality; NOT
//    IN and != are the negations of IN and =. A string field's values are its
//    '|'-separated pieces ("shoes|sale"), so IN matches when any piece is in
//    the list and NOT IN when none is. Number fields compare numerically,
//    string fields byte-wise (case-sensitive, lexicographic).
//  - Missing values ("" or NaN) have no values: IN, = and the orderings are
//    false for them, NOT IN and != true.
//  - Interactions: an item satisfies the condition when the user has at
//    least one event on it whose event type does. Event types compare
//    case-insensitively; the value "*" matches every event type.
//  - $PARAM is replaced by its filterValues entry, a list in literal syntax;
//    with an operator other than IN / NOT IN it must hold exactly one value.
//  - CurrentItem.F is replaced by the current item's values of F (its pieces,
//    or its number); none when missing, so IN matches nothing and NOT IN
//    everything. With several values, = and the orderings hold when they hold
//    for some value.
//  - Types: a number field compares against numbers (a string literal that
//    holds a number counts); anything else is an error when binding. A string
//    field compares against a number literal's text as written.
//
// Evaluation cost. A bound filter splits into the item part (the expressions
// over Items, which after binding depend only on literals) and the
// interactions part. The item part is computed once into a bitmap over the
// whole catalog and cached (BitmapCache), keyed by its bound text and the
// catalog's version; the interactions part is a sorted item set per
// expression, built from the user's history. On a cache hit, Evaluate costs
// binding plus a pass over the history, and Result::Allows is a bit test
// plus a binary search per Interactions expression.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/filter/bitmap_cache.h"
#include "recmart/filter/limits.h"
#include "recmart/filter/table.h"

namespace recmart::filter {

namespace internal {
struct FilterAst;
struct ItemPart;
}  // namespace internal

class Result;
struct Bindings;

// A parsed filter. Immutable; copies share the tree, and one Filter may be
// evaluated from many threads at once.
class Filter {
 public:
  // Parses `text`. InvalidArgument when it is malformed, with a message
  // "position N: expected X, got Y" (N is the 1-based character position),
  // or when it is longer than kMaxFilterBytes.
  static StatusOr<Filter> Parse(std::string_view text);

  // Checks field names against the tables: Items.F and CurrentItem.F must be
  // fields of `items`, CurrentUser.F a field of `users` (not checked when
  // `users` is null); literals compared with number fields must be numbers,
  // and a number field cannot take a string CurrentItem field. Evaluate
  // makes the same checks; Validate lets a server reject a stored filter at
  // start. InvalidArgument with the position of the first problem.
  Status Validate(const Table& items, const Table* users) const;

  // The $PARAM names used, upper case, sorted, without repeats.
  std::vector<std::string> Parameters() const;
  // Whether binding needs a current item (a related-items request).
  bool UsesCurrentItem() const;
  // Whether evaluation reads the user's history; when false, callers may
  // pass an empty history.
  bool UsesInteractions() const;

  // Canonical text: keywords upper case, IN lists parenthesised, minimal
  // parentheses around conditions. Parse(ToString()) gives the same filter.
  std::string ToString() const;

 private:
  friend StatusOr<Result> Evaluate(const Filter& filter, const Table& items,
                                   const Bindings& bindings, std::span<const HistoryEntry> history,
                                   BitmapCache* cache);

  explicit Filter(std::shared_ptr<const internal::FilterAst> ast) : ast_(std::move(ast)) {}

  std::shared_ptr<const internal::FilterAst> ast_;  // never null
};

// What one request supplies to a filter. Pointers are borrowed for the
// duration of Evaluate only.
struct Bindings {
  // filterValues: parameter name (matched case-insensitively) to a list in
  // literal syntax, e.g. {"CATEGORY": "\"shoes\",\"bags\""}, {"MAX_PRICE": "50"}.
  const std::map<std::string, std::string>* values = nullptr;
  // The current item's row in the item table (related-items requests).
  std::optional<uint32_t> current_item;
  // The user's metadata: row `current_user_row` of `current_user`; null for
  // an unknown user.
  const Table* current_user = nullptr;
  size_t current_user_row = 0;
};

// A filter bound to one request: which items it allows.
//
// Holds a pointer to the item table given to Evaluate, which must outlive
// the Result. Immutable; safe to query from several threads.
class Result {
 public:
  // Whether the filter allows item `item` (its row in the item table). An
  // item added to the table after Evaluate (beyond the bitmap) is evaluated
  // directly against the table; an index >= items.size() is never allowed.
  bool Allows(uint32_t item) const;

  // Whether any expression over Items applies to this request.
  bool has_item_part() const { return item_part_ != nullptr; }
  // The item part as a bitmap over the items at Evaluate time (see
  // ItemBitmap); null when there is no item part. It does not include the
  // Interactions expressions: callers that scan it still call Allows.
  const ItemBitmap* item_bitmap() const { return bitmap_.get(); }
  // Whether no expression applies, so every item in the table is allowed.
  bool AllowsEverything() const { return item_part_ == nullptr && item_sets_.empty(); }

 private:
  friend StatusOr<Result> Evaluate(const Filter& filter, const Table& items,
                                   const Bindings& bindings, std::span<const HistoryEntry> history,
                                   BitmapCache* cache);

  // The items satisfying one Interactions expression's condition.
  struct ItemSet {
    bool include = false;
    std::vector<uint32_t> items;  // sorted, unique
  };

  Result() = default;

  const Table* items_ = nullptr;
  size_t rows_ = 0;  // items.size() at Evaluate time; the bitmap covers these rows
  std::shared_ptr<const internal::ItemPart> item_part_;  // null: no item part
  std::shared_ptr<const ItemBitmap> bitmap_;             // null iff item_part_ is
  std::vector<ItemSet> item_sets_;                       // one per Interactions expression
};

// Binds `filter` to a request and computes what it allows.
//
// `items` is the item catalog (Result::Allows takes its rows); `history` the
// user's interactions (only read when filter.UsesInteractions()). `cache`
// may be null (no caching); otherwise it must be used with this item table
// only.
//
// InvalidArgument when binding fails: "filterValues.NAME: missing", a
// malformed filterValues entry, "CurrentItem.F used but the request has no
// current item", an unknown field, a non-number for a number field, or a
// current item / user row out of range. Every expression is bound, also one
// an IF clause skips, so for a filter that passed Validate whether a request
// fails does not depend on which user it is for.
StatusOr<Result> Evaluate(const Filter& filter, const Table& items, const Bindings& bindings,
                          std::span<const HistoryEntry> history, BitmapCache* cache);

}  // namespace recmart::filter
