// JSON-lines reader on simdjson's On-Demand API. Internal to the ingest
// module: callers use RowReader::Open (reader.h).
//
// Contract, beyond reader.h:
//  - One JSON value per line (LF or CRLF). Lines holding only whitespace at
//    the very end of the file are not rows; elsewhere they are
//    malformed_json rows ("blank line"), so that every line is accounted for.
//  - A requested column "a.b.c" reaches into nested objects; a top-level key
//    spelled "a.b.c" wins over the nested path when both exist. With a
//    repeated key, the first occurrence wins.
//  - Values: strings unescaped; numbers exactly as written ("19.990" and
//    integers of any size stay as they are); true/false; null → nullopt;
//    objects and arrays as their raw JSON text.
//  - The whole line is validated, including keys and values nobody asked
//    for, so a row is accepted only if it is one complete JSON object.
//  - Row errors, first match wins: row_too_long, nul_byte, invalid_utf8,
//    malformed_json (detail: simdjson's message, or what is wrong),
//    not_json_object (valid JSON but not an object), field_too_long (a
//    requested value longer than max_field_bytes).
//  - ColumnNames(): the top-level keys of the rows read so far, in first-seen
//    order.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/ingest/decompress.h"
#include "recmart/ingest/reader.h"

namespace recmart::ingest {

StatusOr<std::unique_ptr<RowReader>> OpenJsonlReader(const std::string& path,
                                                     std::unique_ptr<ByteSource> source,
                                                     const ReaderOptions& options,
                                                     const std::vector<std::string>& columns);

}  // namespace recmart::ingest
