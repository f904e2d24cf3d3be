#include "http.hpp"

#include <cctype>

namespace recrl::serve::detail {

void url_decode(std::string_view text, bool plus_is_space, std::string& out) {
  const auto hex = [](char c) {
    return std::isdigit(static_cast<unsigned char>(c))
               ? c - '0'
               : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
  };
  out.clear();
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += plus_is_space && c == '+' ? ' ' : c;
    }
  }
}

std::string HttpRequest::param(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const std::size_t end = rest.find('&');
    const std::string_view pair = rest.substr(0, end);
    const std::size_t equals = pair.find('=');
    if (url_decode(pair.substr(0, equals), true) == name)
      return equals == std::string_view::npos ? "" : url_decode(pair.substr(equals + 1), true);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return "";
}

void HttpRequest::clear() {
  refusal = Refusal::None;
  for (std::string* s : {&method, &path, &query, &body, &authorization, &content_type, &event_id})
    s->clear();
}

}  // namespace recrl::serve::detail
