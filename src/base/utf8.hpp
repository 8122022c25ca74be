// UTF-8 checks for text that echoes what a client sent (a request target in an error's
// detail): JSON must be valid UTF-8, the bytes on the wire need not be.
#pragma once

#include <string>
#include <string_view>

namespace stockd {

bool is_valid_utf8(std::string_view text);

// `text` with every byte that is not part of a well-formed UTF-8 sequence (overlong
// forms, surrogates and code points above U+10FFFF included) replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

}  // namespace stockd
