"""Email templates, black-box: the SES-compatible add-template (a multipart upload), list-templates
and remove-template routes with the seed's examples verbatim, and the native /v1/templates
(create, versions, update, preview, delete) against the real binary."""

import json
import uuid

import pytest

from harness import http_request

# The seed's example template ("Email Templates"), as an uploaded file would hold it.
SEED_HTML = """<div style="font-size: 14px; line-height: 140%; word-wrap: break-word;">
  <p style="line-height: 140%;">Dear {{-NAME-}},</p>
  <p style="line-height: 140%;"> </p>
  <p style="line-height: 140%;">
    You account balance is ready for {{-BALANCE-}} a/c {{-ACCOUNT-}}. You
    balance is due {{-DATE-}}. If you have any issues making your payment please
    email us at {{-SUPPORT_EMAIL-}}.
  </p>
  <p style="line-height: 140%;"> </p>
  <p style="line-height: 140%;">Thank you</p>
  <p style="line-height: 140%;">Managment.</p>
</div>
"""
SEED_DATA = {"NAME": "Ada <b>", "BALANCE": "$10.00", "ACCOUNT": "1234", "DATE": "1 May",
             "SUPPORT_EMAIL": "support@example.com"}

# The seed's list-templates and remove-template requests, byte for byte.
SEED_LIST = '''{
    "page": 1,
    "limit": 20
}'''
SEED_REMOVE = '''{
    "fileName": "welcome-email.html"
}'''
SEED_NO_SUCH_FILE = {"msg": "File does not exist", "valid": False, "code": "EML001_400022"}

MAX_TEMPLATE_BYTES = 500 * 1024


@pytest.fixture
def ob(outbox):
    return outbox()


def multipart(fields):
    """A multipart/form-data body: fields is a list of (name, filename or None, bytes, type)."""
    boundary = "----outbox" + uuid.uuid4().hex
    parts = []
    for name, filename, content, content_type in fields:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        parts.append(head.encode() + b"\r\n" + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def add_template(ob, filename, html, field="html", key=None):
    content = html.encode("utf-8") if isinstance(html, str) else html
    body, content_type = multipart([(field, filename, content, "text/html")])
    return http_request(ob.host, ob.port, "POST", "/server/email/add-template", body,
                        {"Authorization": f"Bearer {key or ob.admin_key}",
                         "Content-Type": content_type})


def ses_post(ob, path, body):
    data = body if isinstance(body, str) else json.dumps(body)
    return ob.api("POST", path, data=data)


def assert_ses_error(r, status, field=None):
    assert r.status == status, r
    assert r.body["valid"] is False, r
    assert isinstance(r.body["msg"], str) and r.body["msg"], r
    assert isinstance(r.body["code"], str) and r.body["code"], r
    if field is not None:
        assert r.body.get("field") == field, r


# --------------------------------------------------------------------------- SES-compatible


def test_seed_add_list_and_remove_a_template(ob):
    r = add_template(ob, "welcome-email.html", SEED_HTML)
    assert (r.status, r.body) == (200, {"valid": True})

    r = ses_post(ob, "/server/email/list-templates", SEED_LIST)
    assert r.status == 200, r
    assert r.body == {"valid": True, "templates": ["welcome-email.html"], "count": 1,
                      "total_pages": 1}

    # The uploaded file is the template "welcome-email", rendered with the seed's placeholders.
    r = ob.api("POST", "/v1/templates/welcome-email/preview", json={"data": SEED_DATA})
    assert r.status == 200, r
    assert "Dear Ada &lt;b&gt;," in r.body["html"]
    assert "ready for $10.00 a/c 1234" in r.body["html"]
    assert "Dear Ada <b>," in r.body["text"]

    r = ses_post(ob, "/server/email/remove-template", SEED_REMOVE)
    assert (r.status, r.body) == (200, {"valid": True})
    r = ses_post(ob, "/server/email/remove-template", SEED_REMOVE)
    assert (r.status, r.body) == (404, SEED_NO_SUCH_FILE)

    r = ses_post(ob, "/server/email/list-templates", SEED_LIST)
    assert r.body == {"valid": True, "templates": [], "count": 0, "total_pages": 0}


def test_uploading_the_same_file_again_adds_a_version(ob):
    assert add_template(ob, "welcome-email.html", "<p>one</p>").status == 200
    assert add_template(ob, "welcome-email.html", "<p>two {{-NAME-}}</p>").status == 200
    r = ob.api("GET", "/v1/templates/welcome-email")
    assert (r.status, r.body["version"], r.body["html"]) == (200, 2, "<p>two {{-NAME-}}</p>")
    r = ses_post(ob, "/server/email/list-templates", {})
    assert r.body["templates"] == ["welcome-email.html"]


def test_list_templates_pages_with_the_seed_defaults(ob):
    names = [f"t{i:02d}" for i in range(12)]
    for name in reversed(names):
        assert add_template(ob, f"{name}.html", f"<p>{name}</p>").status == 200
    # No body at all: page 1, limit 5.
    r = ob.api("POST", "/server/email/list-templates", data="")
    assert r.status == 200, r
    assert r.body == {"valid": True, "templates": [f"{n}.html" for n in names[:5]], "count": 12,
                      "total_pages": 3}
    r = ses_post(ob, "/server/email/list-templates", {"page": 3, "limit": 5})
    assert r.body["templates"] == [f"{n}.html" for n in names[10:]]
    r = ses_post(ob, "/server/email/list-templates", {"page": 2, "limit": 50})
    assert (r.body["templates"], r.body["count"], r.body["total_pages"]) == ([], 12, 1)


@pytest.mark.parametrize("body,field", [
    ({"page": 1, "limit": 4}, "limit"),
    ({"page": 1, "limit": 51}, "limit"),
    ({"page": 0, "limit": 5}, "page"),
    ({"page": "1", "limit": 5}, "page"),
    ({"page": 1, "limit": 5.5}, "limit"),
    ("[1, 2]", "body"),
    ("{not json", "body"),
])
def test_list_templates_refuses_a_bad_page_or_limit(ob, body, field):
    assert_ses_error(ses_post(ob, "/server/email/list-templates", body), 400, field)


def test_a_file_over_500_kb_is_413(ob):
    r = add_template(ob, "big.html", "x" * (MAX_TEMPLATE_BYTES + 1))
    assert_ses_error(r, 413, "html")
    r = add_template(ob, "big.html", "x" * MAX_TEMPLATE_BYTES)
    assert (r.status, r.body) == (200, {"valid": True})


def test_bad_template_syntax_is_400_naming_the_template(ob):
    r = add_template(ob, "broken.html", "<p>{{#items}}\n<li>{{name}}</li></p>")
    assert_ses_error(r, 400, "template")
    assert "line 1" in r.body["msg"], r
    r = add_template(ob, "broken.html", "<p>{{-NAME}}</p>")
    assert_ses_error(r, 400, "template")
    assert ses_post(ob, "/server/email/list-templates", {}).body["count"] == 0


@pytest.mark.parametrize("filename,field", [
    ("welcome-email.txt", "html"),
    (".html", "html"),
    (" padded.html", "name"),
    ("../escape.html", "name"),
])
def test_add_template_refuses_bad_file_names(ob, filename, field):
    assert_ses_error(add_template(ob, filename, "<p>x</p>"), 400, field)


def test_add_template_needs_the_html_file_field(ob):
    assert_ses_error(add_template(ob, "welcome-email.html", "<p>x</p>", field="file"), 400, "html")
    r = ses_post(ob, "/server/email/add-template", {"html": "<p>x</p>"})
    assert_ses_error(r, 400, "html")
    assert_ses_error(add_template(ob, "empty.html", b""), 400, "html")


def test_remove_template_needs_a_file_name(ob):
    assert_ses_error(ses_post(ob, "/server/email/remove-template", {}), 400, "fileName")
    assert_ses_error(ses_post(ob, "/server/email/remove-template", {"fileName": 5}), 400,
                     "fileName")
    # A name no template can have does not exist either.
    r = ses_post(ob, "/server/email/remove-template", {"fileName": "../../etc/passwd"})
    assert (r.status, r.body) == (404, SEED_NO_SUCH_FILE)


def test_template_routes_need_the_admin_key(ob):
    # The seed's routes answer in the seed's error shape.
    assert_ses_error(add_template(ob, "welcome-email.html", "<p>x</p>", key="not-a-key"), 401)
    r = ob.api("POST", "/server/email/list-templates", json={}, auth=False)
    assert_ses_error(r, 401)
    r = ob.api("POST", "/v1/keys", json={"name": "someone", "role": "client"})
    assert r.status == 201, r
    client_key = r.body["key"]
    assert_ses_error(add_template(ob, "welcome-email.html", "<p>x</p>", key=client_key), 403)
    r = ob.api("POST", "/server/email/remove-template", json={"fileName": "x.html"},
               headers={"Authorization": f"Bearer {client_key}"})
    assert_ses_error(r, 403)
    assert ses_post(ob, "/server/email/list-templates", {}).body["count"] == 0
    # The native ones in problem+json.
    r = ob.api("GET", "/v1/templates", auth=False)
    assert (r.status, r.content_type) == (401, "application/problem+json"), r


# --------------------------------------------------------------------------- /v1/templates


def test_native_create_update_versions_get_and_delete(ob):
    r = ob.api("POST", "/v1/templates", json={"name": "receipt", "subject": "Receipt {{-ID-}}",
                                              "html": "<p>Paid {{-AMOUNT-}}</p>"})
    assert r.status == 201, r
    assert r.body["name"] == "receipt" and r.body["version"] == 1, r
    assert (r.body["subject"], r.body["html"], r.body["text"]) == (
        "Receipt {{-ID-}}", "<p>Paid {{-AMOUNT-}}</p>", "")
    created_at = r.body["created_at"]

    r = ob.api("POST", "/v1/templates", json={"name": "receipt", "html": "<p>x</p>"})
    assert r.status == 409, r

    r = ob.api("PUT", "/v1/templates/receipt",
               json={"subject": "Your receipt", "html": "<p>{{-AMOUNT-}} paid</p>",
                     "text": "{{-AMOUNT-}} paid"})
    assert r.status == 200, r
    assert (r.body["version"], r.body["created_at"]) == (2, created_at), r

    r = ob.api("GET", "/v1/templates/receipt")
    assert (r.status, r.body["version"], r.body["text"]) == (200, 2, "{{-AMOUNT-}} paid"), r
    r = ob.api("GET", "/v1/templates/receipt?version=1")
    assert (r.status, r.body["version"], r.body["html"]) == (200, 1, "<p>Paid {{-AMOUNT-}}</p>")
    assert ob.api("GET", "/v1/templates/receipt?version=3").status == 404
    assert ob.api("GET", "/v1/templates/receipt?version=zero").status == 400

    r = ob.api("GET", "/v1/templates/receipt/versions")
    assert r.status == 200, r
    assert [(v["version"], v["subject"]) for v in r.body["data"]] == [
        (1, "Receipt {{-ID-}}"), (2, "Your receipt")]

    r = ob.api("GET", "/v1/templates")
    assert r.status == 200, r
    assert [t["name"] for t in r.body["data"]] == ["receipt"]
    assert (r.body["total"], r.body["total_pages"]) == (1, 1)
    assert "html" not in r.body["data"][0]

    # The native and the SES-compatible routes share one store.
    r = ses_post(ob, "/server/email/list-templates", {})
    assert r.body["templates"] == ["receipt.html"]

    assert ob.api("DELETE", "/v1/templates/receipt").status == 204
    assert ob.api("DELETE", "/v1/templates/receipt").status == 404
    assert ob.api("GET", "/v1/templates/receipt").status == 404
    assert ob.api("GET", "/v1/templates/receipt/versions").status == 404
    r = ob.api("PUT", "/v1/templates/receipt", json={"html": "<p>x</p>"})
    assert r.status == 404, r


def test_native_list_pages(ob):
    for name in ["c", "a", "b"]:
        assert ob.api("POST", "/v1/templates", json={"name": name, "html": "<p/>"}).status == 201
    r = ob.api("GET", "/v1/templates?page=2&limit=2")
    assert r.status == 200, r
    assert ([t["name"] for t in r.body["data"]], r.body["total"], r.body["total_pages"]) == (
        ["c"], 3, 2)
    assert ob.api("GET", "/v1/templates?limit=0").status == 400
    assert ob.api("GET", "/v1/templates?page=0").status == 400


def test_preview_escapes_html_but_not_text_or_subject(ob):
    r = ob.api("POST", "/v1/templates", json={"name": "hello", "subject": "Hi {{name}}",
                                              "html": "<p>Hello {{name}}</p>"})
    assert r.status == 201, r
    r = ob.api("POST", "/v1/templates/hello/preview", json={"data": {"name": "<b>Bo</b>"}})
    assert r.status == 200, r
    assert r.body == {"subject": "Hi <b>Bo</b>", "html": "<p>Hello &lt;b&gt;Bo&lt;/b&gt;</p>",
                      "text": "Hello <b>Bo</b>"}


def test_preview_names_a_missing_variable(ob):
    r = ob.api("POST", "/v1/templates", json={"name": "hello", "html": "<p>{{-NAME-}}</p>"})
    assert r.status == 201, r
    r = ob.api("POST", "/v1/templates/hello/preview", json={"data": {"OTHER": 1}})
    assert r.status == 400, r
    assert r.body["field"] == "data.NAME", r
    r = ob.api("POST", "/v1/templates/hello/preview", json={"data": [1]})
    assert (r.status, r.body["field"]) == (400, "data"), r
    r = ob.api("POST", "/v1/templates/missing/preview", json={"data": {}})
    assert r.status == 404, r


@pytest.mark.parametrize("body,field", [
    ({"html": "<p>x</p>"}, "name"),
    ({"name": "bad/name", "html": "<p>x</p>"}, "name"),
    ({"name": " padded", "html": "<p>x</p>"}, "name"),
    ({"name": "t", "html": ""}, "html"),
    ({"name": "t"}, "html"),
    ({"name": "t", "html": "<p>{{#a}}</p>"}, "template"),
    ({"name": "t", "html": "<p>x</p>", "subject": "{{"}, "subject"),
    ({"name": "t", "html": "<p>x</p>", "subject": "a\r\nBcc: x@example.com"}, "subject"),
    ({"name": "t", "html": "<p>x</p>", "text": "{{/a}}"}, "text"),
    ({"name": "t", "html": "<p>x</p>", "extra": 1}, "extra"),
])
def test_native_create_refuses_bad_templates(ob, body, field):
    r = ob.api("POST", "/v1/templates", json=body)
    assert r.status == 400, r
    assert r.body["field"] == field, r
    assert ob.api("GET", "/v1/templates").body["total"] == 0
