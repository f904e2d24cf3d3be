#include "formula.hpp"

#include <muParser.h>

#include <fmt/format.h>

#include "recrl/util/spelling.hpp"

namespace recrl::expression {

namespace {

// The formula with each quoted text replaced by its number, and for each character of the
// result, the index of the character of the original it came from (for error columns).
struct Rewritten {
  std::string text;
  std::vector<std::size_t> origin;
};

std::string names_of(const std::vector<std::pair<std::string, double>>& literals) {
  std::string out;
  for (const auto& [name, value] : literals) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

Formula::Formula(const std::string& text, const Symbols& symbols, const SourceLocation& where,
                 const std::string& key_path)
    : text_(text), where_(where), key_path_(key_path), parser_(std::make_unique<mu::Parser>()) {
  const auto at = [&](std::size_t index) {
    SourceLocation spot = where_;
    if (spot.line > 0) spot.column += static_cast<int>(index);
    return spot;
  };

  Rewritten r;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\'' && c != '"') {
      r.text += c;
      r.origin.push_back(i);
      continue;
    }
    const std::size_t close = text.find(c, i + 1);
    if (close == std::string::npos) {
      throw ConfigError(at(i), key_path_, "a quoted text that is not closed: " + text.substr(i));
    }
    const std::string literal = text.substr(i + 1, close - i - 1);
    const double* number = nullptr;
    for (const auto& [name, value] : symbols.literals)
      if (name == literal) number = &value;
    if (number == nullptr) {
      std::vector<std::string> known;
      for (const auto& [name, value] : symbols.literals) known.push_back(name);
      const std::string hint = util::did_you_mean_hint(literal, known);
      throw ConfigError(at(i), key_path_,
                        fmt::format("'{}' is not the value of any action field{} (the catalog's "
                                    "values: {})",
                                    literal, hint.empty() ? "" : ": " + hint,
                                    known.empty() ? "none" : names_of(symbols.literals)));
    }
    const std::string replacement = fmt::format("{}", *number);
    r.text += replacement;
    r.origin.insert(r.origin.end(), replacement.size(), i);
    i = close;
  }

  try {
    for (const auto& [name, slot] : symbols.variables) parser_->DefineVar(name, slot);
    parser_->SetExpr(r.text);
    parser_->Eval();  // parses now, so that every mistake shows before the run starts
  } catch (const mu::Parser::exception_type& e) {
    const auto pos = static_cast<std::size_t>(e.GetPos());
    const std::size_t original =
        r.origin.empty() ? 0 : r.origin[std::min(pos, r.origin.size() - 1)];
    if (e.GetCode() == mu::ecUNASSIGNABLE_TOKEN) {
      std::vector<std::string> known;
      for (const auto& [name, slot] : symbols.variables) known.push_back(name);
      const std::string hint = util::did_you_mean_hint(e.GetToken(), known);
      std::string names;
      for (const auto& name : known) names += (names.empty() ? "" : ", ") + name;
      throw ConfigError(at(original), key_path_,
                        fmt::format("unknown name '{}'{} (a formula may use: {})", e.GetToken(),
                                    hint.empty() ? "" : ": " + hint, names));
    }
    // muParser's message ends with the position in its own copy of the text; the location
    // says where it is in the file.
    std::string message = e.GetMsg();
    if (const auto cut = message.find(" at position "); cut != std::string::npos)
      message.erase(cut);
    throw ConfigError(at(original), key_path_, "the formula does not parse: " + message);
  }
}

Formula::Formula(Formula&&) noexcept = default;
Formula& Formula::operator=(Formula&&) noexcept = default;
Formula::~Formula() = default;

double Formula::evaluate() const { return parser_->Eval(); }

ConfigError Formula::error(const std::string& message) const {
  return ConfigError(where_, key_path_, message);
}

}  // namespace recrl::expression
