#include "recrl/toolkit/policy_kwargs.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <utility>

namespace recrl::toolkit {

namespace {

// A recursive-descent reader of the Python literals that rl-zoo writes in policy_kwargs.
class PythonLiteralReader {
 public:
  PythonLiteralReader(const std::string& text, const SourceLocation& where, std::string key_path)
      : text_(text), where_(where), key_path_(std::move(key_path)) {}

  Value read_all() {
    Value v = read_value();
    skip_space();
    if (pos_ != text_.size())
      fail("unexpected '" + std::string(1, text_[pos_]) + "' after the value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ConfigError(where_, key_path_,
                      what + " at character " + std::to_string(pos_ + 1) + " of \"" + text_ + "\"");
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool at(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  void expect(char c) {
    if (!at(c)) {
      fail(pos_ < text_.size() ? "expected '" + std::string(1, c) + "', found '" + text_[pos_] + "'"
                               : "expected '" + std::string(1, c) + "', found the end");
    }
    ++pos_;
  }
  // After an element of a sequence or dict: a ',' or the closing bracket.
  void expect_separator(char close) {
    if (at(close)) return;
    if (!at(',')) {
      const std::string wanted = "expected ',' or '" + std::string(1, close) + "'";
      fail(pos_ < text_.size() ? wanted + ", found '" + text_[pos_] + "'"
                               : wanted + ", found the end");
    }
    ++pos_;
  }
  static bool name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.';
  }

  Value read_value() {
    skip_space();
    if (pos_ >= text_.size()) fail("expected a value, found the end");
    const char c = text_[pos_];
    if (c == '[' || c == '(') return read_sequence(c == '[' ? ']' : ')');
    if (c == '{') return read_braced_dict();
    if (c == '\'' || c == '"') return Value::string(read_quoted(), where_);
    if (c == '-' || c == '+' || std::isdigit(static_cast<unsigned char>(c)) != 0)
      return read_number();
    if (name_char(c)) {
      const std::string name = read_name();
      if (name == "dict" && at('(')) return read_call_dict();
      if (name == "True") return Value::boolean(true, where_);
      if (name == "False") return Value::boolean(false, where_);
      if (name == "None") return Value::null(where_);
      return Value::string(name, where_);  // nn.ReLU and other dotted names
    }
    fail("unexpected '" + std::string(1, c) + "'");
  }

  std::string read_name() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && name_char(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  std::string read_quoted() {
    const char quote = text_[pos_++];
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) ++pos_;
    if (pos_ >= text_.size()) fail("unterminated string");
    return text_.substr(start, pos_++ - start);
  }

  Value read_number() {
    const std::size_t start = pos_;
    if (text_[pos_] == '-' || text_[pos_] == '+') ++pos_;
    bool integral = true;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
        ++pos_;
      } else if (c == '.' || c == 'e' || c == 'E' ||
                 ((c == '-' || c == '+') && (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E'))) {
        integral = false;
        ++pos_;
      } else {
        break;
      }
    }
    const std::string literal = text_.substr(start, pos_ - start);
    const char* first = literal.data() + (literal[0] == '+' ? 1 : 0);
    const char* last = literal.data() + literal.size();
    if (integral) {
      std::int64_t i = 0;
      const auto [end, ec] = std::from_chars(first, last, i);
      if (ec == std::errc() && end == last) return Value::integer(i, where_);
    } else {
      double d = 0;
      const auto [end, ec] = std::from_chars(first, last, d);
      if (ec == std::errc() && end == last) return Value::real(d, where_);
    }
    pos_ = start;
    fail("'" + literal + "' is not a number");
  }

  Value read_sequence(char close) {
    ++pos_;
    Value list = Value::list({}, where_);
    while (!at(close)) {
      list.items().push_back(read_value());
      expect_separator(close);
    }
    ++pos_;
    return list;
  }

  void add_entry(Value& map, const std::string& key, Value v) {
    if (map.find(key) != nullptr) fail("'" + key + "' is given twice");
    v.set_key_where(where_);
    map.entries().emplace_back(key, std::move(v));
  }

  // dict(key=value, ...)
  Value read_call_dict() {
    expect('(');
    Value map = Value::map({}, where_);
    while (!at(')')) {
      skip_space();
      const std::string key = read_name();
      if (key.empty()) fail("expected a keyword argument name");
      expect('=');
      add_entry(map, key, read_value());
      expect_separator(')');
    }
    ++pos_;
    return map;
  }

  // {'key': value, ...}
  Value read_braced_dict() {
    expect('{');
    Value map = Value::map({}, where_);
    while (!at('}')) {
      skip_space();
      if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
        fail("expected a quoted key");
      }
      const std::string key = read_quoted();
      expect(':');
      add_entry(map, key, read_value());
      expect_separator('}');
    }
    ++pos_;
    return map;
  }

  const std::string& text_;
  SourceLocation where_;
  std::string key_path_;
  std::size_t pos_ = 0;
};

std::string join(const std::string& parent, const std::string& child) {
  return parent + "." + child;
}

std::vector<int> read_layer_sizes(const Value& v, const std::string& key_path) {
  if (!v.is_list()) {
    throw ConfigError(v.where(), key_path,
                      "expected a list of layer sizes such as [64, 64], got " + v.kind_name());
  }
  std::vector<int> sizes;
  for (std::size_t i = 0; i < v.items().size(); ++i) {
    const Value& item = v.items()[i];
    const std::string path = key_path + "[" + std::to_string(i) + "]";
    if (!item.is_int() || item.as_int() < 1 || item.as_int() > 65536) {
      throw ConfigError(item.where(), path,
                        "expected a layer size, an integer in [1, 65536], got " + item.text());
    }
    sizes.push_back(static_cast<int>(item.as_int()));
  }
  return sizes;
}

void read_net_arch(const Value& v, const std::string& key_path, const PolicyKwargsRules& rules,
                   PolicyKwargs& out) {
  // SB3 < 1.8 wrote net_arch=[dict(pi=..., vf=...)]; SB3 still accepts it (with a warning).
  if (v.is_list() && v.items().size() == 1 && v.items().front().is_map()) {
    read_net_arch(v.items().front(), key_path + "[0]", rules, out);
    return;
  }
  if (v.is_map()) {
    if (!rules.value_network) {
      throw ConfigError(v.where(), key_path,
                        "expected a list of layer sizes such as [64, 64] "
                        "(this algorithm has no separate value network)");
    }
    out.pi_hidden.clear();
    out.vf_hidden.clear();
    for (const auto& [key, sizes] : v.entries()) {
      if (key == "pi") {
        out.pi_hidden = read_layer_sizes(sizes, join(key_path, key));
      } else if (key == "vf") {
        out.vf_hidden = read_layer_sizes(sizes, join(key_path, key));
      } else {
        throw ConfigError(sizes.key_where(), join(key_path, key),
                          "unknown network (accepted: pi, vf)");
      }
    }
    return;
  }
  out.pi_hidden = read_layer_sizes(v, key_path);
  out.vf_hidden = out.pi_hidden;  // a list gives both networks the same (separate) layers
}

Activation read_activation(const Value& v, const std::string& key_path) {
  if (v.is_string()) {
    if (const auto activation = activation_from_name(v.as_string())) return *activation;
  }
  throw ConfigError(v.where(), key_path,
                    "expected an activation, one of tanh, relu (or nn.Tanh, "
                    "nn.ReLU), got " +
                        v.text());
}

}  // namespace

Value parse_python_literal(const std::string& text, const SourceLocation& where,
                           const std::string& key_path) {
  return PythonLiteralReader(text, where, key_path).read_all();
}

Value policy_kwargs_value(const PolicyKwargs& kwargs, bool value_network) {
  const auto sizes = [](const std::vector<int>& layers) {
    Value list = Value::list();
    for (int size : layers) list.items().push_back(Value::integer(size));
    return list;
  };
  Value map = Value::map();
  if (value_network) {
    map.set("net_arch",
            Value::map({{"pi", sizes(kwargs.pi_hidden)}, {"vf", sizes(kwargs.vf_hidden)}}));
  } else {
    map.set("net_arch", sizes(kwargs.pi_hidden));
  }
  map.set("activation_fn", Value::string(activation_name(kwargs.activation_fn)));
  if (value_network) map.set("ortho_init", Value::boolean(kwargs.ortho_init));
  return map;
}

PolicyKwargs parse_policy_kwargs(const Value& node, const std::string& key_path,
                                 const PolicyKwargsRules& rules) {
  PolicyKwargs out = rules.defaults;
  if (node.is_null()) return out;
  const Value parsed =
      node.is_string() ? parse_python_literal(node.as_string(), node.where(), key_path) : node;
  if (!parsed.is_map()) {
    throw ConfigError(
        node.where(), key_path,
        "expected a map such as {net_arch: [64, 64], activation_fn: tanh} or a string "
        "such as \"dict(net_arch=[64, 64], activation_fn=nn.Tanh)\", got " +
            parsed.kind_name());
  }
  const std::string accepted =
      rules.value_network ? "net_arch, activation_fn, ortho_init" : "net_arch, activation_fn";
  for (const auto& [key, v] : parsed.entries()) {
    const std::string path = join(key_path, key);
    if (key == "net_arch") {
      read_net_arch(v, path, rules, out);
    } else if (key == "activation_fn") {
      out.activation_fn = read_activation(v, path);
    } else if (key == "ortho_init" && rules.value_network) {
      if (!v.is_bool())
        throw ConfigError(v.where(), path, "expected true or false, got " + v.text());
      out.ortho_init = v.as_bool();
    } else {
      throw ConfigError(v.key_where(), path,
                        "unsupported policy_kwargs key (accepted: " + accepted + ")");
    }
  }
  return out;
}

}  // namespace recrl::toolkit
