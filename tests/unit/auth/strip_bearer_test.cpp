#include <doctest/doctest.h>

#include "auth/auth.h"

TEST_CASE("StripBearer takes the key from Bearer and bare Authorization headers") {
  CHECK(auth::StripBearer("Bearer abc.def.ghi") == "abc.def.ghi");
  CHECK(auth::StripBearer("bearer abc") == "abc");
  CHECK(auth::StripBearer("BEARER  abc") == "abc");
  CHECK(auth::StripBearer("abc.def.ghi") == "abc.def.ghi");  // GoMail's bare header
  CHECK(auth::StripBearer("Bearer ").empty());
  CHECK(auth::StripBearer("").empty());
  CHECK(auth::StripBearer("Basic YWRtaW4=") == "Basic YWRtaW4=");  // not ours: left for lookup
}
