"""Messages of the command line (ordinance/cli/) and of batches (ordinance/batch/).

Each entry: message id -> (English, Traditional Chinese), with the same ``{name}`` parameters.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # batch input (ordinance/batch/inputs.py)
    "batch.line-too-long": ("the line is {size} bytes or more, over the limit of {most}",
                            "此行有 {size} 位元組以上，超過上限 {most}"),
    "batch.hint.line-too-long": ("one case per line; raise the limit (max_line_bytes, --max-line-bytes) if the case "
                                 "is genuine",
                                 "每行一個案件；如案件確需如此之長，請提高上限（max_line_bytes、--max-line-bytes）"),
    "batch.header-unreadable": ("the header row cannot be read: {said}", "無法讀取標題列：{said}"),
    "batch.header-too-long": ("the header row is {size} bytes or more, over the limit of {most}",
                              "標題列有 {size} 位元組以上，超過上限 {most}"),
    "batch.column-twice": ("the column `{name}` appears twice (columns {first} and {second})",
                           "欄位 `{name}` 出現兩次（第 {first} 與第 {second} 欄）"),
    "batch.row-unreadable": ("the row cannot be read: {said}", "無法讀取此列：{said}"),
    "batch.json-line": ("{said} (line {line} is not one JSON value)", "{said}（第 {line} 行不是一個 JSON 值）"),
    "batch.hint.json-line": ("JSON Lines holds one case per line, as one JSON object",
                             "JSON Lines 每行一個案件，為一個 JSON 物件"),
    "batch.duplicate-key": ("the key `{key}` appears twice in one object", "鍵 `{key}` 在同一物件中出現兩次"),
    "batch.too-many-digits": ("a number has {digits} digits, over the limit of {most}",
                              "有數字長 {digits} 位，超過上限 {most} 位"),
    "batch.extra-cells": ("the row has {cells} cells but the header names {columns} columns",
                          "此列有 {cells} 格，但標題列只有 {columns} 欄"),
    "batch.cell-not-utf8": ("the cell is not valid UTF-8", "此儲存格不是有效的 UTF-8"),
    "batch.cell-binary": ("the cell holds a NUL byte: binary data, not text", "此儲存格含有 NUL 位元組：是二進位資料，不是文字"),
    "batch.hint.csv-text": ("give a CSV text file, saved as UTF-8", "請提供以 UTF-8 儲存的 CSV 文字文件"),
    "batch.unnamed-column": ("a cell under a column without a name", "此儲存格所在的欄沒有名稱"),
    "batch.applicant-conflict": ("`{name}` is {first} on line {line} but {value} here: the rows of case `{case}` "
                                 "describe one applicant",
                                 "`{name}` 在第 {line} 行為 {first}，在此卻為 {value}：案件 `{case}` 的各列描述同一申請主體"),
    # batch records (ordinance/batch/records.py, worker.py)
    "batch.csv.at": (" at {path}", " 位於 {path}"),
    "batch.csv.hint": (" ({hint})", "（{hint}）"),
    "batch.too-deep-to-read": ("the case is nested too deeply to read", "案件巢狀過深，無法讀取"),
    "batch.internal-error": ("internal error ({error}); this is a bug, please report it with this case "
                             "(ORDINANCE_DEBUG=1 shows details)",
                             "內部錯誤（{error}）；這是程式缺陷，請連同此案件回報（ORDINANCE_DEBUG=1 可顯示詳情）"),
    # the command line (ordinance/cli/)
    "cli.internal-error": ("ordinance: internal error ({error}); this is a bug, please report it with the input "
                           "that caused it (ORDINANCE_DEBUG=1 shows details)",
                           "ordinance：內部錯誤（{error}）；這是程式缺陷，請連同造成它的輸入回報（ORDINANCE_DEBUG=1 可顯示詳情）"),
    "cli.not-a-date": ("{value} is not a date: write YYYY-MM-DD, e.g. 2025-06-30",
                       "{value} 不是日期：請寫作 YYYY-MM-DD，例如 2025-06-30"),
    "cli.trace-too-large": ("the case has {claims} claims; a decision with its trace is given for at most {most}",
                            "案件有 {claims} 項申請；含推導的裁定最多只能給出 {most} 項"),
    "cli.hint.trace-too-large": ("decide it without the trace (--no-trace, e.g. --format json --no-trace), raise "
                                 "--max-traced-claims, or split the case",
                                 "請不含推導地裁定（--no-trace，例如 --format json --no-trace）、提高 "
                                 "--max-traced-claims，或拆分案件"),
    "cli.not-a-date-because": ("{value} is not a date: {why}", "{value} 不是日期：{why}"),
    "cli.not-a-size": ("{value} is not a size: write bytes, or a number with k, M or G (e.g. 4M)",
                       "{value} 不是大小：請寫位元組數，或帶 k、M、G 的數字（例如 4M）"),
    "cli.size-too-small": ("{value} is not a size: it must be at least 1 byte", "{value} 不是大小：至少須為 1 位元組"),
    "cli.size-too-large": ("{value} is too large a size: at most 1T (1024G)", "{value} 過大：最多 1T（1024G）"),
    "cli.no-tests": ("the policy in {directory} has no test cases", "{directory} 中的政策沒有測試案例"),
    "cli.hint.no-tests": ("write tests/*.yaml (docs/rule-files.md, section 22), or pass --allow-no-tests",
                          "請撰寫 tests/*.yaml（docs/rule-files.md 第 22 節），或加上 --allow-no-tests"),
    "cli.check-ok": ("ok: {policy}: {count} measures, sha256:{digest}", "ok：{policy}：{count} 項措施，sha256:{digest}"),
    "cli.tests-summary": ("{passed} passed, {failed} failed", "{passed} 項通過，{failed} 項失敗"),
    "cli.hint.show-lists": ("`ordinance show` lists every measure", "`ordinance show` 會列出所有措施"),
    # claims named by id (ordinance explain, POST /v1/explain)
    "claim.unknown": ("the case has no claim `{claim}`", "案件中沒有申請 `{claim}`"),
    "claim.hint.its-claims": ("its claims are {claims}", "案件的申請有：{claims}"),
    "claim.none": ("none", "（無）"),
}
