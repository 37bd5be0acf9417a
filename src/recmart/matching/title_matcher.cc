#include "recmart/matching/title_matcher.h"

#include <algorithm>
#include <set>

namespace recmart::matching {
namespace {

bool IsTokenChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

// Tokens joined by single spaces: the text trigrams are taken from.
std::string NormalizedText(const std::vector<std::string>& tokens) {
  std::string out;
  for (const std::string& t : tokens) {
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

template <typename T>
double Jaccard(const std::set<T>& a, const std::set<T>& b) {
  if (a.empty() && b.empty()) return 1.0;
  size_t both = 0;
  for (const T& x : a) both += b.count(x);
  size_t either = a.size() + b.size() - both;
  return either == 0 ? 0.0 : static_cast<double>(both) / static_cast<double>(either);
}

std::set<std::string> Trigrams(const std::string& text) {
  std::set<std::string> out;
  if (text.empty()) return out;
  std::string padded = " " + text + " ";
  for (size_t i = 0; i + 3 <= padded.size(); ++i) out.insert(padded.substr(i, 3));
  return out;
}

bool HasDigit(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// One typo apart: equal after one substitution, insertion, deletion or swap
// of neighbours. Only for words of five letters or more without digits.
bool OneTypoApart(const std::string& a, const std::string& b) {
  if (a.size() < 5 || b.size() < 5 || HasDigit(a) || HasDigit(b)) return false;
  const std::string& s = a.size() <= b.size() ? a : b;  // the shorter
  const std::string& l = a.size() <= b.size() ? b : a;
  if (l.size() - s.size() > 1) return false;
  size_t i = 0;
  while (i < s.size() && s[i] == l[i]) ++i;
  if (i == s.size()) return true;  // equal, or one letter appended
  if (s.size() == l.size()) {
    if (s.compare(i + 1, std::string::npos, l, i + 1, std::string::npos) == 0) return true;
    return i + 1 < s.size() && s[i] == l[i + 1] && s[i + 1] == l[i] &&
           s.compare(i + 2, std::string::npos, l, i + 2, std::string::npos) == 0;
  }
  return s.compare(i, std::string::npos, l, i + 1, std::string::npos) == 0;
}

// Token-set Jaccard where a word of one title also counts as shared when the
// other title has it with one typo.
double SoftTokenJaccard(const std::set<std::string>& a, const std::set<std::string>& b) {
  size_t both = 0;
  for (const std::string& x : a) {
    if (b.count(x) ||
        std::any_of(b.begin(), b.end(), [&](const std::string& y) { return OneTypoApart(x, y); }))
      ++both;
  }
  both = std::min({both, a.size(), b.size()});
  size_t either = a.size() + b.size() - both;
  return either == 0 ? 1.0 : static_cast<double>(both) / static_cast<double>(either);
}

}  // namespace

std::vector<std::string> TitleTokens(std::string_view title) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : title) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (IsTokenChar(c)) {
      cur += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : ch;
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  // Light stemming: a plural "s" on a word of four letters or more goes
  // ("holders" = "holder"; "glass" and "bus" stay).
  for (std::string& t : out) {
    if (t.size() >= 4 && t.back() == 's' && t[t.size() - 2] != 's' && !HasDigit(t)) t.pop_back();
  }
  return out;
}

double TitleSimilarity(std::string_view a, std::string_view b) {
  std::vector<std::string> ta = TitleTokens(a), tb = TitleTokens(b);
  if (ta.empty() || tb.empty()) return 0.0;
  std::set<std::string> sa(ta.begin(), ta.end()), sb(tb.begin(), tb.end());
  double score = 0.5 * SoftTokenJaccard(sa, sb) +
                 0.5 * Jaccard(Trigrams(NormalizedText(ta)), Trigrams(NormalizedText(tb)));
  std::set<std::string> na, nb;
  for (const auto& t : sa)
    if (HasDigit(t)) na.insert(t);
  for (const auto& t : sb)
    if (HasDigit(t)) nb.insert(t);
  if (na != nb) score *= 0.5;
  return score;
}

std::string_view MatchOutcomeName(MatchOutcome o) {
  switch (o) {
    case MatchOutcome::kMatched:
      return "matched";
    case MatchOutcome::kNoCandidate:
      return "no_candidate";
    case MatchOutcome::kBelowThreshold:
      return "below_threshold";
    case MatchOutcome::kAmbiguous:
      return "ambiguous";
  }
  return "?";
}

void TitleMatcher::AddReference(std::string_view item_id, std::string_view title) {
  std::vector<std::string> tokens = TitleTokens(title);
  if (tokens.empty()) return;
  uint32_t index = static_cast<uint32_t>(entries_.size());
  entries_.push_back({std::string(item_id), std::string(title)});
  std::set<std::string> unique(tokens.begin(), tokens.end());
  for (const std::string& t : unique) postings_[t].push_back(index);
}

TitleMatch TitleMatcher::Match(std::string_view title) const {
  TitleMatch m;
  std::vector<std::string> tokens = TitleTokens(title);
  std::vector<uint32_t> candidates;
  for (const std::string& t : std::set<std::string>(tokens.begin(), tokens.end())) {
    auto it = postings_.find(t);
    if (it != postings_.end())
      candidates.insert(candidates.end(), it->second.begin(), it->second.end());
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  if (candidates.empty()) return m;

  // Best score per id, then the two best ids (ties broken by id).
  std::vector<std::pair<std::string, double>> by_id;
  for (uint32_t c : candidates) {
    by_id.emplace_back(entries_[c].id, TitleSimilarity(title, entries_[c].title));
  }
  std::sort(by_id.begin(), by_id.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  m.item_id = by_id[0].first;
  m.score = by_id[0].second;
  for (size_t i = 1; i < by_id.size(); ++i) {
    if (by_id[i].first != m.item_id) {
      m.runner_up = by_id[i].first;
      m.runner_up_score = by_id[i].second;
      break;
    }
  }
  if (m.score < options_.threshold)
    m.outcome = MatchOutcome::kBelowThreshold;
  else if (!m.runner_up.empty() && m.score - m.runner_up_score < options_.margin)
    m.outcome = MatchOutcome::kAmbiguous;
  else
    m.outcome = MatchOutcome::kMatched;
  return m;
}

}  // namespace recmart::matching
