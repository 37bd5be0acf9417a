#include "recmart/filter/parser.h"

#include <algorithm>
#include <string>
#include <utility>

#include "recmart/filter/limits.h"

namespace recmart::filter::internal {
namespace {

enum class TokenKind {
  kWord,    // keyword or reference: IN, Items.PRICE (a word holds at most one '.')
  kString,  // "..."
  kNumber,  // -2.5e3
  kParam,   // $NAME
  kLParen,
  kRParen,
  kComma,
  kPipe,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kEnd,
  kError,  // text that is not a token; `value` says why. Always the last token.
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t offset = 0;     // byte offset in the text
  std::string_view raw;  // as written
  // kWord, kParam: upper case (kParam without '$'); kString: unescaped;
  // kError: the message.
  std::string value;
};

bool IsIdentStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
// The second to fourth bytes of a UTF-8 character.
bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// Which clause a condition belongs to: they allow different references.
enum class Clause { kWhere, kIf };

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  StatusOr<FilterAst> ParseFilter() {
    Lex();
    FilterAst ast;
    while (true) {
      ASSIGN_OR_RETURN(Expression e, ParseExpression());
      ast.expressions.push_back(std::move(e));
      if (Peek().kind == TokenKind::kEnd) return ast;
      ++pos_;  // ParseExpression stops only at '|' or the end
    }
  }

  StatusOr<std::vector<Literal>> ParseLiteralList() {
    Lex();
    std::vector<Literal> literals;
    while (true) {
      const Token& t = Peek();
      if (t.kind != TokenKind::kString && t.kind != TokenKind::kNumber) {
        return Expected("a string or a number");
      }
      if (literals.size() == kMaxListValues) return TooManyValues(t);
      literals.push_back(ToLiteral(t));
      ++pos_;
      if (Peek().kind == TokenKind::kEnd) return literals;
      if (Peek().kind != TokenKind::kComma) return Expected("\",\" or end of input");
      ++pos_;
    }
  }

 private:
  // --- Errors ---

  Status ErrorAtPosition(size_t position, std::string_view message) const {
    return Status::InvalidArgument("position " + std::to_string(position) + ": " +
                                   std::string(message));
  }

  // Positions count characters, not bytes: a UTF-8 continuation byte does not
  // start a new character.
  Status ErrorAt(size_t offset, std::string_view message) const {
    return ErrorAtPosition(Position(offset), message);
  }

  size_t Position(size_t offset) const {
    size_t chars = 0;
    for (size_t i = 0; i < offset; ++i) {
      if (!IsContinuationByte(text_[i])) ++chars;
    }
    return chars + 1;
  }

  static std::string Describe(const Token& t) {
    if (t.kind == TokenKind::kEnd) return "end of input";
    // Long tokens are cut, at a character boundary so that the message stays
    // valid UTF-8 (servers put it in JSON).
    size_t shown_bytes = std::min<size_t>(t.raw.size(), 40);
    while (shown_bytes < t.raw.size() && IsContinuationByte(t.raw[shown_bytes])) --shown_bytes;
    std::string shown(t.raw.substr(0, shown_bytes));
    if (shown_bytes < t.raw.size()) shown += "...";
    if (t.kind == TokenKind::kString) return "string " + shown;
    return "\"" + shown + "\"";
  }

  // The error for an unexpected token. A lexical error is reported only when
  // the parser reaches it, so errors come in the order of the text.
  Status Expected(std::string_view what) const {
    if (Peek().kind == TokenKind::kError) return ErrorAt(Peek().offset, Peek().value);
    return ErrorAt(Peek().offset, "expected " + std::string(what) + ", got " + Describe(Peek()));
  }

  Status TooManyValues(const Token& t) const {
    return ErrorAt(t.offset, "a list holds at most " + std::to_string(kMaxListValues) + " values");
  }

  // --- Lexer ---

  // Ends the token list with a kError token.
  void LexError(size_t offset, std::string message) {
    Token t;
    t.kind = TokenKind::kError;
    t.offset = offset;
    t.value = std::move(message);
    tokens_.push_back(std::move(t));
  }

  // Splits the whole text into tokens_, which ends with kEnd, or with kError
  // at the first text that is not a token.
  void Lex() {
    const size_t n = text_.size();
    size_t i = 0;
    while (true) {
      while (i < n &&
             (text_[i] == ' ' || text_[i] == '\t' || text_[i] == '\n' || text_[i] == '\r')) {
        ++i;
      }
      Token t;
      t.offset = i;
      if (i == n) {
        tokens_.push_back(std::move(t));
        return;
      }
      const char c = text_[i];
      const char next = i + 1 < n ? text_[i + 1] : '\0';
      const char next2 = i + 2 < n ? text_[i + 2] : '\0';
      if (IsIdentStart(c)) {
        i = ScanIdent(i);
        if (i < n && text_[i] == '.') {
          if (i + 1 == n || !IsIdentStart(text_[i + 1])) {
            return LexError(i + 1, "expected a field name after \"" +
                                       std::string(text_.substr(t.offset, i + 1 - t.offset)) +
                                       "\"");
          }
          i = ScanIdent(i + 1);
        }
        t.kind = TokenKind::kWord;
        t.raw = text_.substr(t.offset, i - t.offset);
        t.value = Upper(t.raw);
      } else if (c == '"') {
        if (!ScanString(&i, &t.value)) return;
        t.kind = TokenKind::kString;
        t.raw = text_.substr(t.offset, i - t.offset);
      } else if (IsDigit(c) || (c == '.' && IsDigit(next)) ||
                 ((c == '+' || c == '-') && (IsDigit(next) || (next == '.' && IsDigit(next2))))) {
        i = ScanNumber(i);
        t.kind = TokenKind::kNumber;
        t.raw = text_.substr(t.offset, i - t.offset);
        if (!ParseNumber(t.raw)) {
          return LexError(t.offset, "number " + std::string(t.raw) + " is out of range");
        }
      } else if (c == '$') {
        if (!IsIdentStart(next)) return LexError(i, "expected a parameter name after \"$\"");
        i = ScanIdent(i + 1);
        t.kind = TokenKind::kParam;
        t.raw = text_.substr(t.offset, i - t.offset);
        t.value = Upper(t.raw.substr(1));
      } else {
        size_t len = 1;
        switch (c) {
          case '(':
            t.kind = TokenKind::kLParen;
            break;
          case ')':
            t.kind = TokenKind::kRParen;
            break;
          case ',':
            t.kind = TokenKind::kComma;
            break;
          case '|':
            t.kind = TokenKind::kPipe;
            break;
          case '=':
            t.kind = TokenKind::kEq;
            break;
          case '<':
            t.kind = next == '=' ? TokenKind::kLe : TokenKind::kLt;
            len = next == '=' ? 2 : 1;
            break;
          case '>':
            t.kind = next == '=' ? TokenKind::kGe : TokenKind::kGt;
            len = next == '=' ? 2 : 1;
            break;
          case '!':
            if (next == '=') {
              t.kind = TokenKind::kNe;
              len = 2;
              break;
            }
            [[fallthrough]];
          default: {
            // Show the whole character, even when it takes several UTF-8 bytes.
            while (i + len < n && IsContinuationByte(text_[i + len])) {
              ++len;
            }
            return LexError(i,
                            "unexpected character \"" + std::string(text_.substr(i, len)) + "\"");
          }
        }
        i += len;
        t.raw = text_.substr(t.offset, len);
      }
      tokens_.push_back(std::move(t));
    }
  }

  size_t ScanIdent(size_t i) const {
    while (i < text_.size() && IsIdentChar(text_[i])) ++i;
    return i;
  }

  // Consumes [+-]? digits [. digits] [e [+-] digits]; the caller has checked
  // that a digit comes before any exponent.
  size_t ScanNumber(size_t i) const {
    const size_t n = text_.size();
    if (text_[i] == '+' || text_[i] == '-') ++i;
    while (i < n && IsDigit(text_[i])) ++i;
    if (i < n && text_[i] == '.') {
      ++i;
      while (i < n && IsDigit(text_[i])) ++i;
    }
    if (i < n && (text_[i] == 'e' || text_[i] == 'E')) {
      size_t j = i + 1;
      if (j < n && (text_[j] == '+' || text_[j] == '-')) ++j;
      if (j < n && IsDigit(text_[j])) {
        i = j;
        while (i < n && IsDigit(text_[i])) ++i;
      }
    }
    return i;
  }

  // REQUIRES: text_[*i] == '"'. Advances *i past the closing quote and
  // returns true, or adds a kError token and returns false.
  bool ScanString(size_t* i, std::string* value) {
    const size_t start = *i;
    size_t j = start + 1;
    while (j < text_.size()) {
      const char c = text_[j];
      if (c == '"') {
        *i = j + 1;
        return true;
      }
      if (c == '\\') {
        if (j + 1 >= text_.size()) break;
        const char escaped = text_[j + 1];
        if (escaped != '"' && escaped != '\\') {
          LexError(j, "unknown escape \"\\" + std::string(1, escaped) +
                          "\" in a string; only \\\" and \\\\ are allowed");
          return false;
        }
        value->push_back(escaped);
        j += 2;
        continue;
      }
      value->push_back(c);
      ++j;
    }
    LexError(start, "unterminated string");
    return false;
  }

  // --- Grammar ---

  const Token& Peek() const { return tokens_[pos_]; }
  bool AtKeyword(std::string_view upper) const {
    return Peek().kind == TokenKind::kWord && Peek().value == upper;
  }
  bool AtEndOfExpression() const {
    return Peek().kind == TokenKind::kPipe || Peek().kind == TokenKind::kEnd;
  }

  // (EXCLUDE|INCLUDE) ItemID WHERE condition [IF user_condition], followed
  // by '|' or the end.
  StatusOr<Expression> ParseExpression() {
    Expression e;
    if (AtKeyword("INCLUDE")) {
      e.include = true;
    } else if (!AtKeyword("EXCLUDE")) {
      return Expected("EXCLUDE or INCLUDE");
    }
    ++pos_;
    if (!AtKeyword("ITEMID")) return Expected("ItemID");
    ++pos_;
    if (!AtKeyword("WHERE")) return Expected("WHERE");
    ++pos_;
    ASSIGN_OR_RETURN(e.condition, ParseJunction(Condition::Kind::kOr, Clause::kWhere, 0));
    RETURN_IF_ERROR(CheckOneDataset(e.condition, &e.dataset));
    if (AtKeyword("IF")) {
      ++pos_;
      ASSIGN_OR_RETURN(e.user_condition, ParseJunction(Condition::Kind::kOr, Clause::kIf, 0));
      if (!AtEndOfExpression()) return Expected("AND, OR, \"|\" or end of input");
    } else if (!AtEndOfExpression()) {
      return Expected("AND, OR, IF, \"|\" or end of input");
    }
    return e;
  }

  // kind kOr: conjunctions joined by OR; kind kAnd: primaries joined by AND.
  // AND binds tighter than OR. Children of the same kind are spliced in, so
  // "a AND (b AND c)" and "a AND b AND c" give the same tree.
  StatusOr<Condition> ParseJunction(Condition::Kind kind, Clause clause, int depth) {
    const bool is_or = kind == Condition::Kind::kOr;
    Condition junction;
    junction.kind = kind;
    while (true) {
      StatusOr<Condition> child =
          is_or ? ParseJunction(Condition::Kind::kAnd, clause, depth) : ParsePrimary(clause, depth);
      if (!child.ok()) return child.status();
      if (child->kind == kind) {
        for (Condition& grandchild : child->children) {
          junction.children.push_back(std::move(grandchild));
        }
      } else {
        junction.children.push_back(std::move(child).value());
      }
      if (!AtKeyword(is_or ? "OR" : "AND")) break;
      ++pos_;
    }
    if (junction.children.size() == 1) return std::move(junction.children.front());
    return junction;
  }

  // '(' condition ')' | predicate
  StatusOr<Condition> ParsePrimary(Clause clause, int depth) {
    if (Peek().kind != TokenKind::kLParen) {
      Condition leaf;
      ASSIGN_OR_RETURN(leaf.predicate, ParsePredicate(clause));
      return leaf;
    }
    if (depth == kMaxNesting) {
      return ErrorAt(Peek().offset,
                     "parentheses nest deeper than " + std::to_string(kMaxNesting) + " levels");
    }
    ++pos_;
    ASSIGN_OR_RETURN(Condition inner, ParseJunction(Condition::Kind::kOr, clause, depth + 1));
    if (Peek().kind != TokenKind::kRParen) return Expected("AND, OR or \")\"");
    ++pos_;
    return inner;
  }

  // ref op value
  StatusOr<Predicate> ParsePredicate(Clause clause) {
    const Token& ref = Peek();
    const size_t dot = ref.kind == TokenKind::kWord ? ref.value.find('.') : std::string::npos;
    if (dot == std::string::npos) {
      return Expected(clause == Clause::kWhere ? "a field such as Items.PRICE"
                                               : "a field such as CurrentUser.SEGMENT");
    }
    Predicate p;
    p.position = Position(ref.offset);
    p.field = ref.value.substr(dot + 1);
    ASSIGN_OR_RETURN(p.dataset, ParseDataset(ref, dot));
    const std::string shown = std::string(DatasetName(p.dataset)) + "." + p.field;
    if (clause == Clause::kIf) {
      if (p.dataset != Dataset::kCurrentUser) {
        return ErrorAt(ref.offset, "after IF only CurrentUser fields can be used, got " + shown);
      }
    } else if (p.dataset == Dataset::kCurrentUser) {
      return ErrorAt(ref.offset, shown + " can only be used after IF");
    } else if (p.dataset == Dataset::kCurrentItem) {
      return ErrorAt(ref.offset, shown + " can only be used as a value, as in Items." + p.field +
                                     " IN " + shown);
    } else if (p.dataset == Dataset::kInteractions && p.field != "EVENT_TYPE") {
      return ErrorAt(ref.offset, "Interactions supports only EVENT_TYPE, got " + shown);
    }
    ++pos_;

    const Token& op = Peek();
    ASSIGN_OR_RETURN(p.op, ParseOp());
    if (p.dataset == Dataset::kInteractions && !TakesList(p.op) && p.op != Op::kEq &&
        p.op != Op::kNe) {
      return ErrorAt(op.offset, "Interactions.EVENT_TYPE supports only IN, NOT IN, = and !=");
    }

    if (Peek().kind != TokenKind::kLParen) {
      ASSIGN_OR_RETURN(Term term, ParseTerm());
      p.terms.push_back(std::move(term));
      return p;
    }
    ++pos_;
    while (true) {
      const Token& t = Peek();
      if (p.terms.size() == 1 && !TakesList(p.op)) {
        return ErrorAt(t.offset, std::string(OpText(p.op)) + " takes one value; use IN for a list");
      }
      if (p.terms.size() == kMaxListValues) return TooManyValues(t);
      ASSIGN_OR_RETURN(Term term, ParseTerm());
      p.terms.push_back(std::move(term));
      if (Peek().kind == TokenKind::kRParen) break;
      if (Peek().kind != TokenKind::kComma) return Expected("\",\" or \")\"");
      ++pos_;
    }
    ++pos_;
    return p;
  }

  // REQUIRES: ref.value[dot] == '.'.
  StatusOr<Dataset> ParseDataset(const Token& ref, size_t dot) const {
    const std::string_view name = std::string_view(ref.value).substr(0, dot);
    for (Dataset d :
         {Dataset::kItems, Dataset::kInteractions, Dataset::kCurrentItem, Dataset::kCurrentUser}) {
      if (name == Upper(DatasetName(d))) return d;
    }
    return ErrorAt(ref.offset, "unknown dataset \"" + std::string(ref.raw.substr(0, dot)) +
                                   "\"; expected Items, Interactions, CurrentItem or CurrentUser");
  }

  StatusOr<Op> ParseOp() {
    const Token& t = Peek();
    Op op;
    switch (t.kind) {
      case TokenKind::kEq:
        op = Op::kEq;
        break;
      case TokenKind::kNe:
        op = Op::kNe;
        break;
      case TokenKind::kLt:
        op = Op::kLt;
        break;
      case TokenKind::kLe:
        op = Op::kLe;
        break;
      case TokenKind::kGt:
        op = Op::kGt;
        break;
      case TokenKind::kGe:
        op = Op::kGe;
        break;
      default:
        if (AtKeyword("IN")) {
          op = Op::kIn;
        } else if (AtKeyword("NOT")) {
          ++pos_;
          if (!AtKeyword("IN")) return Expected("IN after NOT");
          op = Op::kNotIn;
        } else {
          return Expected("IN, NOT IN or a comparison operator");
        }
    }
    ++pos_;
    return op;
  }

  // literal | $PARAM | CurrentItem.FIELD
  StatusOr<Term> ParseTerm() {
    const Token& t = Peek();
    Term term;
    term.position = Position(t.offset);
    if (t.kind == TokenKind::kString || t.kind == TokenKind::kNumber) {
      term.literal = ToLiteral(t);
    } else if (t.kind == TokenKind::kParam) {
      term.kind = Term::Kind::kParam;
      term.name = t.value;
    } else if (t.kind == TokenKind::kWord &&
               t.value.starts_with(Upper(DatasetName(Dataset::kCurrentItem)) + ".")) {
      term.kind = Term::Kind::kCurrentItem;
      term.name = t.value.substr(t.value.find('.') + 1);
    } else {
      return Expected("a string, a number, a $PARAMETER or CurrentItem.FIELD");
    }
    ++pos_;
    return term;
  }

  static Literal ToLiteral(const Token& t) {
    Literal literal;
    literal.is_string = t.kind == TokenKind::kString;
    literal.text = literal.is_string ? t.value : std::string(t.raw);
    return literal;
  }

  // Every predicate of one expression reads the same dataset: an item's
  // metadata and the user's events are separate tables, combined only by '|'.
  Status CheckOneDataset(const Condition& condition, Dataset* dataset) const {
    const Predicate* first = nullptr;
    const Predicate* mixed = nullptr;
    ForEachPredicate(condition, [&](const Predicate& p) {
      if (first == nullptr) first = &p;
      if (mixed == nullptr && p.dataset != first->dataset) mixed = &p;
    });
    *dataset = first->dataset;
    if (mixed == nullptr) return Status::OK();
    return ErrorAtPosition(mixed->position,
                           std::string(DatasetName(mixed->dataset)) + "." + mixed->field +
                               " cannot be combined with " +
                               std::string(DatasetName(first->dataset)) + "." + first->field +
                               " in one expression (AND/OR work within one dataset; chain "
                               "expressions with \"|\")");
  }

  std::string_view text_;
  std::vector<Token> tokens_;  // ends with kEnd
  size_t pos_ = 0;             // index of the next token
};

}  // namespace

StatusOr<FilterAst> ParseFilter(std::string_view text) {
  if (text.size() > kMaxFilterBytes) {
    return Status::InvalidArgument("filter is " + std::to_string(text.size()) +
                                   " bytes long; at most " + std::to_string(kMaxFilterBytes) +
                                   " are allowed");
  }
  return Parser(text).ParseFilter();
}

StatusOr<std::vector<Literal>> ParseLiteralList(std::string_view text) {
  return Parser(text).ParseLiteralList();
}

}  // namespace recmart::filter::internal
