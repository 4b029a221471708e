// JSON parsing for untrusted files (safetensors headers, index files): nlohmann's DOM, built by our
// own SAX handler so that duplicate keys are errors (nlohmann keeps the last one silently), nesting
// is bounded, and parsing stays linear (nlohmann's callback parser rescans the parent object at
// every closing brace, which a header with a million tiny objects turns into hours).
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace moewb {

// Parses `text` strictly: valid UTF-8, one JSON value, no duplicate keys, at most `maxDepth`
// nested objects/arrays. Throws moewb::Error "<name>: <what> ..." ("<name>: header is not valid
// JSON: parse error at line 1, column 5: ...").
nlohmann::json parseStrictJson(
    std::string_view text, const std::string& name, std::string_view what, int maxDepth);

} // namespace moewb
