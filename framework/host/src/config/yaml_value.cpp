#include "recrl/config/yaml_value.hpp"

#include <sstream>
#include <unordered_map>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "recrl/util/number_text.hpp"
#include "plain_scalar.hpp"
#include "recrl/util/read_file.hpp"

namespace recrl::config {

namespace {

// Deeper than any sensible experiment file; it stops runaway recursion (e.g. on an alias
// that refers to its own anchor) with a message instead of a stack overflow.
constexpr int kMaxDepth = 256;
// Values in one document once aliases are expanded: an alias refers to its anchor's node
// rather than copying it, so nine levels of nine aliases are a short file and 9^9 values.
constexpr std::int64_t kMaxValues = 1'000'000;
// A YAML file read from disk (docs/limits.md).
constexpr std::uint64_t kMaxYamlBytes = 16ull << 20;

// yaml-cpp counts lines and columns from 0; editors and compilers count from 1.
SourceLocation location_of(const YAML::Mark& mark, const std::string& file) {
  if (mark.is_null()) return SourceLocation{file, 0, 0};
  return SourceLocation{file, mark.line + 1, mark.column + 1};
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

bool is_explicit_string_tag(const std::string& tag) {
  // "!" marks a quoted or block scalar; "!!str" is the explicit string tag.
  return tag == "!" || tag == "tag:yaml.org,2002:str";
}

class Converter {
 public:
  explicit Converter(std::string file) : file_(std::move(file)) {}

  Value convert(const YAML::Node& node, const std::string& key_path, int depth) {
    const SourceLocation where = location_of(node.Mark(), file_);
    if (depth > kMaxDepth) {
      throw ConfigError(where, key_path,
                        "nesting is deeper than " + std::to_string(kMaxDepth) +
                            " levels (an alias that contains itself?)");
    }
    if (++values_ > kMaxValues) {
      throw ConfigError(where, key_path,
                        "the document holds more than " + std::to_string(kMaxValues) +
                            " values once its aliases are expanded (aliases of aliases?)");
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return Value::null(where);
      case YAML::NodeType::Scalar:
        if (is_explicit_string_tag(node.Tag())) return Value::string(node.Scalar(), where);
        return detail::resolve_plain_scalar(node.Scalar(), where);
      case YAML::NodeType::Sequence: {
        Value list = Value::list({}, where);
        std::size_t index = 0;
        for (const auto& item : node) {
          list.items().push_back(
              convert(item, key_path + "[" + std::to_string(index++) + "]", depth + 1));
        }
        return list;
      }
      case YAML::NodeType::Map:
        return convert_map(node, key_path, where, depth);
    }
    return Value::null(where);
  }

 private:
  Value convert_map(const YAML::Node& node, const std::string& key_path,
                    const SourceLocation& where, int depth) {
    Value map = Value::map({}, where);
    std::unordered_map<std::string, SourceLocation> first_seen;
    for (const auto& entry : node) {
      const SourceLocation key_where = location_of(entry.first.Mark(), file_);
      if (!entry.first.IsScalar()) {
        throw ConfigError(key_where, key_path, "a map key must be plain text, not a list or map");
      }
      const std::string key = entry.first.Scalar();
      const std::string path = child_path(key_path, key);
      // yaml-cpp keeps both entries of a repeated key; silently taking one of them would hide
      // a mistake, so it is an error.
      const auto [previous, inserted] = first_seen.emplace(key, key_where);
      if (!inserted) {
        throw ConfigError(key_where, path,
                          "duplicate key; it is already set at line " +
                              std::to_string(previous->second.line) + ":" +
                              std::to_string(previous->second.column));
      }
      Value value = convert(entry.second, path, depth + 1);
      // `key:` with nothing after it: yaml-cpp places the empty value wherever the next token
      // is; the key is where the user looks.
      if (value.is_null() && (!value.where().known() || value.where().line == 0 ||
                              value.where().line != key_where.line)) {
        value.set_where(key_where);
      }
      value.set_key_where(key_where);
      map.entries().emplace_back(key, std::move(value));
    }
    return map;
  }

  std::string file_;
  std::int64_t values_ = 0;  // converted so far
};

bool holds_a_string_when_plain(const std::string& text) {
  return detail::resolve_plain_scalar(text, {}).is_string();
}

void emit(YAML::Emitter& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Null:
      out << YAML::Null;
      break;
    case Value::Kind::Bool:
      out << v.as_bool();
      break;
    case Value::Kind::Int:
      out << v.as_int();
      break;
    // Shortest text that reads back as the same double; yaml-cpp's own output rounds to its
    // precision setting.
    case Value::Kind::Double:
      out << recrl::util::real_number_text(v.as_double());
      break;
    case Value::Kind::String:
      // "1.5", "true", "~" or "" written plain would read back as a number, bool or null.
      if (!holds_a_string_when_plain(v.as_string())) out << YAML::DoubleQuoted;
      out << v.as_string();
      break;
    case Value::Kind::List:
      out << YAML::BeginSeq;
      for (const auto& item : v.items()) emit(out, item);
      out << YAML::EndSeq;
      break;
    case Value::Kind::Map:
      out << YAML::BeginMap;
      for (const auto& [key, value] : v.entries()) {
        out << YAML::Key << key << YAML::Value;
        emit(out, value);
      }
      out << YAML::EndMap;
      break;
  }
}

// Where the documents of a text start, read from the parser's events (at most `limit` of them).
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// yaml-cpp 0.7 reads a document that starts with a token no node can start with (a ',' at the
// top level) as an empty document without consuming the token, so YAML::LoadAll loops for ever
// and fills memory. Reading the first document with YAML::Load and at most two more with the
// event parser is bounded; two documents that start at one place are that token.
void check_single_document(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  for (int i = 0; i < 3 && parser.HandleNextDocument(starts); ++i) {
  }
  const auto& marks = starts.marks;
  for (std::size_t i = 1; i + 1 < marks.size(); ++i) {
    if (marks[i].pos == marks[i + 1].pos) {
      const auto offset = static_cast<std::size_t>(marks[i].pos);
      const std::string token = offset < text.size() ? std::string(1, text[offset]) : "end";
      throw ConfigError(location_of(marks[i], name), "",
                        "invalid YAML: '" + token + "' cannot start a value here");
    }
  }
  if (marks.size() >= 2) {
    throw ConfigError(location_of(marks[1], name), "",
                      "a second YAML document ('---') starts here; one file holds one document");
  }
}

}  // namespace

Value parse_yaml(const std::string& text, const std::string& name) {
  YAML::Node document;
  try {
    document = YAML::Load(text);
    check_single_document(text, name);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own message for it is "bad file".
    throw ConfigError(location_of(e.mark, name), "",
                      "invalid YAML: nested deeper than " + std::to_string(e.depth()) +
                          " levels (an experiment file needs a handful)");
  } catch (const YAML::Exception& e) {
    throw ConfigError(location_of(e.mark, name), "", "invalid YAML: " + e.msg);
  }
  if (document.IsNull()) {
    throw ConfigError(SourceLocation{name, 0, 0}, "", "the file is empty (no settings found)");
  }
  Converter converter(name);
  return converter.convert(document, "", 0);
}

Value load_yaml_file(const std::filesystem::path& file) {
  return parse_yaml(util::read_file(file, "the YAML file", kMaxYamlBytes), file.string());
}

std::string to_yaml(const Value& v) {
  YAML::Emitter out;
  out.SetIndent(2);
  emit(out, v);
  RECRL_ASSERT(out.good(), "cannot write YAML: " + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

}  // namespace recrl::config
