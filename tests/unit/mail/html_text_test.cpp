#include "mail/html_text.h"

#include <doctest/doctest.h>

TEST_CASE("html to text") {
  CHECK(mail::HtmlToText("<h1>Hello!</h1><p>Here is your weekly digest.</p>") ==
        "Hello!\n\nHere is your weekly digest.");
  CHECK(mail::HtmlToText("a &amp; b &lt;c&gt; <b>bold</b>  and\t spaced") ==
        "a & b <c> bold and spaced");
  CHECK(mail::HtmlToText("one<br>two<br/><br/><br/>three") == "one\ntwo\n\nthree");
  CHECK(mail::HtmlToText("plain text") == "plain text");
  CHECK(mail::HtmlToText("<p></p>") == "");
}
