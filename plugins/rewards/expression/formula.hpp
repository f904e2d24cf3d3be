#pragma once

#include <memory>
#include <string>
#include <vector>

#include "recrl/core/errors.hpp"

namespace mu {
class Parser;
}

namespace recrl::expression {

// The names a formula may use, each bound to a double the reward sets before evaluating:
// features, action fields, parameters. `literals` maps a quoted text ('discount') to the number
// that stands for it in the text-valued action fields.
struct Symbols {
  std::vector<std::pair<std::string, double*>> variables;
  std::vector<std::pair<std::string, double>> literals;
};

// One formula compiled once (muParser's bytecode): evaluate() reads the bound variables as they
// are now and allocates nothing. Every problem is a ConfigError at the formula's own place in
// the experiment file (line and column of the offending character): a quoted text that no
// action field has, a name that is not a symbol, a syntax error.
class Formula {
 public:
  // `where` is where the formula's text starts in its file (its first character, after an
  // opening quote); `key_path` names it in messages.
  Formula(const std::string& text, const Symbols& symbols, const SourceLocation& where,
          const std::string& key_path);
  Formula(Formula&&) noexcept;
  Formula& operator=(Formula&&) noexcept;
  ~Formula();

  double evaluate() const;
  const std::string& text() const { return text_; }
  // A ConfigError about this formula, at its start.
  ConfigError error(const std::string& message) const;

 private:
  std::string text_;
  SourceLocation where_;
  std::string key_path_;
  std::unique_ptr<mu::Parser> parser_;
};

}  // namespace recrl::expression
