#pragma once

// recrl_core is built with hidden visibility; what the host and plugins may use is marked
// RECRL_API. Type information of exported classes must be visible too, so that an error
// thrown in a plugin is caught by type in the host.
#define RECRL_API __attribute__((visibility("default")))
