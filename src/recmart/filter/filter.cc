#include "recmart/filter/filter.h"

#include <algorithm>
#include <set>
#include <utility>

#include "recmart/filter/ast.h"
#include "recmart/filter/bind.h"
#include "recmart/filter/parser.h"

namespace recmart::filter {
namespace {

using internal::BoundCondition;
using internal::Dataset;
using internal::Expression;
using internal::Predicate;
using internal::Term;

std::shared_ptr<const ItemBitmap> BuildBitmap(const internal::ItemPart& part, const Table& items,
                                              size_t rows) {
  auto bitmap = std::make_shared<ItemBitmap>((rows + 63) / 64);
  for (size_t row = 0; row < rows; ++row) {
    if (part.Allows(items, row)) (*bitmap)[row >> 6] |= uint64_t{1} << (row & 63);
  }
  return bitmap;
}

}  // namespace

StatusOr<Filter> Filter::Parse(std::string_view text) {
  ASSIGN_OR_RETURN(internal::FilterAst ast, internal::ParseFilter(text));
  return Filter(std::make_shared<const internal::FilterAst>(std::move(ast)));
}

Status Filter::Validate(const Table& items, const Table* users) const {
  return internal::Validate(*ast_, items, users);
}

std::vector<std::string> Filter::Parameters() const {
  std::set<std::string> names;
  internal::ForEachPredicate(*ast_, [&](const Predicate& p) {
    for (const Term& t : p.terms) {
      if (t.kind == Term::Kind::kParam) names.insert(t.name);
    }
  });
  return {names.begin(), names.end()};
}

bool Filter::UsesCurrentItem() const {
  bool found = false;
  internal::ForEachPredicate(*ast_, [&](const Predicate& p) {
    for (const Term& t : p.terms) found = found || t.kind == Term::Kind::kCurrentItem;
  });
  return found;
}

bool Filter::UsesInteractions() const {
  return std::any_of(ast_->expressions.begin(), ast_->expressions.end(),
                     [](const Expression& e) { return e.dataset == Dataset::kInteractions; });
}

std::string Filter::ToString() const { return internal::ToString(*ast_); }

bool Result::Allows(uint32_t item) const {
  if (item < rows_) {
    if (bitmap_ != nullptr && (((*bitmap_)[item >> 6] >> (item & 63)) & 1) == 0) return false;
  } else if (item >= items_->size() ||
             (item_part_ != nullptr && !item_part_->Allows(*items_, item))) {
    return false;
  }
  for (const ItemSet& set : item_sets_) {
    if (std::binary_search(set.items.begin(), set.items.end(), item) != set.include) return false;
  }
  return true;
}

StatusOr<Result> Evaluate(const Filter& filter, const Table& items, const Bindings& bindings,
                          std::span<const HistoryEntry> history, BitmapCache* cache) {
  const Table* user = bindings.current_user;
  if (user != nullptr && bindings.current_user_row >= user->size()) {
    return Status::InvalidArgument("current user row " + std::to_string(bindings.current_user_row) +
                                   " is not in the user table of " + std::to_string(user->size()) +
                                   " users");
  }

  Result result;
  result.items_ = &items;
  result.rows_ = items.size();
  auto item_part = std::make_shared<internal::ItemPart>();
  std::string event_type;  // reused lower-case buffer
  for (const Expression& e : filter.ast_->expressions) {
    ASSIGN_OR_RETURN(BoundCondition condition,
                     internal::Bind(e.condition, &items, items, bindings));
    if (e.user_condition) {
      ASSIGN_OR_RETURN(const BoundCondition user_condition,
                       internal::Bind(*e.user_condition, user, items, bindings));
      if (user == nullptr ||
          !internal::HoldsForRow(user_condition, *user, bindings.current_user_row)) {
        continue;
      }
    }
    if (e.dataset == Dataset::kItems) {
      item_part->clauses.push_back({e.include, std::move(condition)});
      continue;
    }
    Result::ItemSet set;
    set.include = e.include;
    for (const HistoryEntry& h : history) {
      event_type.assign(h.event_type);
      for (char& c : event_type) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      if (internal::HoldsForEvent(condition, event_type)) set.items.push_back(h.item);
    }
    std::sort(set.items.begin(), set.items.end());
    set.items.erase(std::unique(set.items.begin(), set.items.end()), set.items.end());
    result.item_sets_.push_back(std::move(set));
  }

  if (item_part->clauses.empty()) return result;
  std::string key = item_part->Key(items.version(), result.rows_);
  std::shared_ptr<const ItemBitmap> bitmap = cache != nullptr ? cache->Lookup(key) : nullptr;
  if (bitmap == nullptr) {
    bitmap = BuildBitmap(*item_part, items, result.rows_);
    if (cache != nullptr) bitmap = cache->Insert(std::move(key), std::move(bitmap));
  }
  result.bitmap_ = std::move(bitmap);
  result.item_part_ = std::move(item_part);
  return result;
}

}  // namespace recmart::filter
