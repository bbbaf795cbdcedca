#pragma once
// Attachment content checks against the allow-list of the SES-compatible API (the seed's
// "Attachment Allowed MIME Types"): gif, jpeg/jpg, png, csv, html, doc, docx, xls, xlam, xlsm,
// xlsx, pdf, ppt, pptx, mdb, json, xml. Nothing else is accepted, plain .txt included.
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace mail {

// The allow-listed MIME type of `data`, judged by its bytes; nullopt when it is none of them.
// Magic bytes decide images, PDF and Access (Jet) databases. Office Open XML files are ZIPs
// whose central directory lists [Content_Types].xml and word/, xl/ or ppt/ entries; the
// extension of `filename` picks xlsx, xlsm or xlam among the xl/ ones (xlsx if none fits).
// Legacy Office files share one OLE signature (D0 CF 11 E0), so the extension must say doc,
// xls or ppt. Text (valid UTF-8 without NUL, an optional BOM) is csv, html, json or xml by
// extension; without one, a leading "<!doctype html"/"<html", "<?xml" or '{'/'[' decides, and
// other text is nullopt. The canonical type is returned: image/jpeg for .jpg as well.
// Cost: linear in the size of text data; for a ZIP only its central directory is read.
std::optional<std::string> SniffContentType(std::string_view data, std::string_view filename);

// Refuses (kInvalidArgument naming `field` and the file) an attachment whose extension or
// declared type is not on the allow-list, whose content is none of the allowed types, or whose
// content contradicts its extension or declared type (an .exe renamed .pdf, a PNG sent as
// application/pdf). `filename` may be empty or lack an extension; `declared_type` may be empty
// or application/octet-stream (no claim) and may carry parameters ("text/csv; charset=utf-8").
// image/jpg, as in the seed's table, is taken for image/jpeg. Without an extension the declared
// type stands in for it where the bytes alone cannot tell (OLE, csv). After success the type to
// send is SniffContentType(data, filename), or the declared type where that is nullopt.
core::Status CheckAttachmentType(std::string_view data, std::string_view filename,
                                 std::string_view declared_type, std::string_view field);

}  // namespace mail
