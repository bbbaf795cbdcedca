"""One stored email as a person looks at it, through the /v1 API: its parts (headers, text,
attachments), an attachment's bytes as a safe download, the HTML part as a sandboxed preview
document, and a resend that queues a copy and reaches the SMTP server. Viewers read all of
it and change nothing; a missing email or attachment is a 404 problem."""
import base64

import pytest

from harness import wait_for

SENDER = "Shop <shop@example.com>"
PASSWORD = "correct horse battery"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")
HTML_PAGE = "<!doctype html><html><body><h1>Häppy</h1><p>Hi</p></body></html>"


@pytest.fixture(scope="module")
def server(module_outbox):
    return module_outbox("--transport", "capture", "--default-from", SENDER)


@pytest.fixture(scope="module")
def viewer(server):
    r = server.api("POST", "/v1/users",
                   json={"email": "viewer@example.com", "password": PASSWORD, "role": "viewer"})
    assert r.status == 201, r
    token = server.login("viewer@example.com", PASSWORD)["access_token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def email(server):
    return server.send({
        "to": ["ana@example.org"], "subject": "Über the parts", "text": "Plain ü\n",
        "html": "<p>Hello <img src=\"https://example.net/pixel.gif\"></p>",
        "headers": {"X-Campaign": "spring"},
        "attachments": [
            {"filename": "report.pdf", "content_type": "application/pdf",
             "content": base64.b64encode(PDF).decode()},
            {"filename": "dot.png", "content": base64.b64encode(PNG).decode()},
            {"filename": "página.html", "content_type": "text/html",
             "content": base64.b64encode(HTML_PAGE.encode()).decode()},
        ]})["id"]


def test_parts_list_headers_text_and_attachments(server, email, viewer):
    r = server.api("GET", f"/v1/emails/{email}/parts", headers=viewer, auth=False)
    assert r.status == 200, r
    assert r.body["html"] is True and r.body["truncated"] is False
    assert r.body["text"] == "Plain ü\r\n" and r.body["charset"] == "utf-8"
    headers = dict((name, value) for name, value in r.body["headers"])
    assert headers["Subject"] == "Über the parts"
    assert headers["X-Campaign"] == "spring"
    assert headers["Message-ID"] == f"<{email}@example.com>"
    assert [(a["index"], a["filename"], a["content_type"], a["size"])
            for a in r.body["attachments"]] == [
        (0, "report.pdf", "application/pdf", len(PDF)),
        (1, "dot.png", "image/png", len(PNG)),
        (2, "página.html", "text/html", len(HTML_PAGE.encode()))]
    assert all("content_id" not in a for a in r.body["attachments"])


def test_attachments_download_as_files_never_as_pages(server, email, viewer):
    pdf = server.api("GET", f"/v1/emails/{email}/attachments/0", headers=viewer, auth=False)
    assert pdf.status == 200 and pdf.raw == PDF, pdf
    assert pdf.content_type == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf")
    assert pdf.headers["x-content-type-options"] == "nosniff"
    png = server.api("GET", f"/v1/emails/{email}/attachments/1")
    assert png.status == 200 and png.raw == PNG and png.content_type == "image/png"
    # HTML is not harmless: bytes as they are, as a download, under a name without tricks.
    page = server.api("GET", f"/v1/emails/{email}/attachments/2")
    assert page.status == 200 and page.raw == HTML_PAGE.encode()
    assert page.content_type == "application/octet-stream"
    assert page.headers["content-disposition"] == (
        "attachment; filename=\"p_gina.html\"; filename*=UTF-8''p%C3%A1gina.html")
    assert page.headers["content-security-policy"].startswith("sandbox")

    missing = server.api("GET", f"/v1/emails/{email}/attachments/3")
    assert missing.status == 404 and missing.content_type == "application/problem+json", missing
    assert "no attachment 3" in missing.body["detail"]
    unknown = server.api("GET", f"/v1/emails/{email}/attachments/0?inline=1")
    assert unknown.status == 400 and unknown.body["field"] == "inline", unknown
    assert server.api("GET", f"/v1/emails/{email}/attachments/x").status == 404


def test_preview_is_a_sandboxed_document_that_loads_nothing_remote_unless_asked(server, email,
                                                                                viewer):
    r = server.api("GET", f"/v1/emails/{email}/preview", headers=viewer, auth=False)
    assert r.status == 200, r
    assert r.content_type == "text/html; charset=utf-8"
    assert r.body == "<p>Hello <img src=\"https://example.net/pixel.gif\"></p>"
    csp = r.headers["content-security-policy"]
    assert csp == ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                   "frame-ancestors 'self'"), csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    images = server.api("GET", f"/v1/emails/{email}/preview?images=1")
    assert images.status == 200
    assert "img-src data: https: http:;" in images.headers["content-security-policy"]
    bad = server.api("GET", f"/v1/emails/{email}/preview?images=yes")
    assert bad.status == 400 and bad.body["field"] == "images", bad
    text_only = server.send({"to": ["b@example.org"], "subject": "t", "text": "only text"})["id"]
    none = server.api("GET", f"/v1/emails/{text_only}/preview")
    assert none.status == 404 and "no HTML part" in none.body["detail"], none
    parts = server.api("GET", f"/v1/emails/{text_only}/parts")
    assert parts.body["html"] is False and parts.body["text"] == "only text\r\n"


def test_a_missing_email_is_404_everywhere(server):
    for path in ("parts", "attachments/0", "preview"):
        r = server.api("GET", f"/v1/emails/em_nope/{path}")
        assert r.status == 404 and r.content_type == "application/problem+json", (path, r)
    r = server.api("POST", "/v1/emails/em_nope/resend")
    assert r.status == 404 and r.content_type == "application/problem+json", r


def test_reads_need_a_credential_and_resend_needs_an_admin(server, email, viewer):
    for path in ("parts", "attachments/0", "preview"):
        r = server.api("GET", f"/v1/emails/{email}/{path}", auth=False)
        assert r.status == 401, (path, r)
    refused = server.api("POST", f"/v1/emails/{email}/resend", headers=viewer, auth=False)
    assert refused.status == 403, refused
    assert len(server.list(subject="Über the parts")["data"]) == 1  # nothing was queued


def test_resend_bad_input(server, email):
    r = server.api("POST", f"/v1/emails/{email}/resend", json={"to": ["x@example.org"]})
    assert r.status == 400 and r.body["field"] == "to", r
    r = server.api("POST", f"/v1/emails/{email}/resend", data="[1]")
    assert r.status == 400, r
    r = server.api("POST", f"/v1/emails/{email}/resend", data="{")
    assert r.status == 400, r


def test_stats_name_the_transport(server):
    assert server.api("GET", "/v1/stats").body["transport"]["kind"] == "capture"


def test_resend_queues_a_copy_that_reaches_the_smtp_server(outbox, smtp_server):
    smtp = smtp_server()
    ob = outbox(*smtp.smtp_args(), "--default-from", SENDER)
    first = ob.send({"to": ["ana@example.org"], "cc": ["cc@example.org"], "subject": "Again",
                     "text": "same words\n", "tags": ["t1"]})["id"]
    ob.wait_status(first, "sent")
    assert ob.api("GET", "/v1/stats").body["transport"]["kind"] == "smtp"

    r = ob.api("POST", f"/v1/emails/{first}/resend")
    assert r.status == 201, r
    copy = r.body["id"]
    assert copy != first and r.body["status"] == "queued"
    assert r.headers["location"] == f"/v1/emails/{copy}"
    ob.wait_status(copy, "sent")
    wait_for(lambda: smtp.count() == 2, 10, message="the resent mail at the SMTP server")
    original, resent = smtp.received()
    assert sorted(resent.rcpt_tos) == sorted(original.rcpt_tos)
    assert resent.header("Subject") == "Again"
    assert resent.header("Message-ID") == f"<{copy}@example.com>"
    assert original.header("Message-ID") == f"<{first}@example.com>"
    assert resent.message.get_content() == original.message.get_content()

    copied = ob.email(copy)
    assert copied["to"] == ["ana@example.org"] and copied["cc"] == ["cc@example.org"]
    assert copied["tags"] == ["t1"]
    assert [e["type"] for e in copied["events"]][:2] == ["queued", "resend_of"]
    assert copied["events"][1]["detail"] == first
    events = ob.email(first)["events"]
    assert events[-1]["type"] == "resent" and events[-1]["detail"] == copy


def test_unknown_query_parameters_are_refused_by_name(server, email):
    for path in ("/v1/emails?statuss=failed", f"/v1/emails/{email}/parts?statuss=1",
                 f"/v1/emails/{email}/preview?statuss=1"):
        r = server.api("GET", path)
        assert r.status == 400 and r.body["field"] == "statuss", (path, r)


def test_the_dashboard_may_frame_only_its_own_origin_and_its_blob_previews(server):
    csp = server.api("GET", "/", auth=False).headers["content-security-policy"]
    assert "frame-src 'self' blob:;" in csp and "frame-ancestors 'none'" in csp, csp
