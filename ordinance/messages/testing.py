"""Messages of a policy's YAML tests: the failures :mod:`ordinance.testing` finds (``ordinance
test``, ``POST /v1/try``) and the lines ``ordinance test`` prints around them.

Field names of a test file (``total``, ``amount``, ``status``, ...), statuses, codes and values
are the test file's and the engine's own words: echoed as they are in both languages.
Each entry: message id -> (English, Traditional Chinese), with the same ``{name}`` parameters.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # what was expected against what came out (ordinance/testing.py)
    "testing.unexpected-error": ("unexpected error: {summary}", "意外的錯誤：{summary}"),
    "testing.other-error": ("expected error {code}, got {codes}: {summary}",
                            "預期錯誤 {code}，實得 {codes}：{summary}"),
    "testing.decided-not-refused": ("expected error {code}, but the case was decided",
                                    "預期錯誤 {code}，但案件已被裁定"),
    "testing.no-result": ("no result for claim {claim} (have: {claims})",
                          "沒有申請 {claim} 的結果（現有：{claims}）"),
    "testing.no-trace": ("no trace for claim {claim}", "沒有申請 {claim} 的推導"),
    "testing.trace-lacks": ("{claim}: the trace does not mention {needle}", "{claim}：推導中沒有提到 {needle}"),
    "testing.field": ("{claim}: {field}", "{claim}：{field}"),
    "testing.status": ("{claim}: status is {got}, expected {want} (reasons: {reasons}, missing: {missing})",
                       "{claim}：狀態為 {got}，應為 {want}（理由：{reasons}，缺少：{missing}）"),
    "testing.depends-on": ("{claim}: depends on {got}, expected {want}", "{claim}：取決於 {got}，應為 {want}"),
    "testing.reasons": ("{claim}: reasons are {got}, expected {want}", "{claim}：理由為 {got}，應為 {want}"),
    "testing.failed": ("{claim}: failed conditions are {got}, expected {want}",
                       "{claim}：不成立的條件為 {got}，應為 {want}"),
    "testing.missing": ("{claim}: missing facts are {got}, expected {want}",
                        "{claim}：缺少的事實為 {got}，應為 {want}"),
    "testing.superseded-by": ("{claim}: superseded by {got}, expected {want}",
                              "{claim}：被 {got} 取代，應為 {want}"),
    "testing.basis": ("{claim}: basis is {got}, expected {want}", "{claim}：依據為 {got}，應為 {want}"),
    "testing.benefit": ("{claim}: benefit is {got}, expected {want}", "{claim}：獎補形式為 {got}，應為 {want}"),
    "testing.duration": ("{claim}: duration is {got}, expected {want}", "{claim}：期限為 {got}，應為 {want}"),
    "testing.quota": ("{claim}: quota status is {got}, expected {want}", "{claim}：名額狀態為 {got}，應為 {want}"),
    "testing.unknown-expectation": ("{claim}: unknown expectation `{field}`", "{claim}：未知的預期項 `{field}`"),
    "testing.money-not-null": ("{what} is {got}, expected null", "{what} 為 {got}，應為 null"),
    "testing.money-not-an-amount": ("{what}: the expected value {want} is not an amount",
                                    "{what}：預期值 {want} 不是金額"),
    "testing.money-null": ("{what} is null, expected {want}", "{what} 為 null，應為 {want}"),
    "testing.money": ("{what} is {got}, expected {want}", "{what} 為 {got}，應為 {want}"),
    # the lines of `ordinance test` (ordinance/cli/main.py)
    "testing.pass": ("PASS {file}:{line}: {name}", "通過 {file}:{line}：{name}"),
    "testing.fail": ("FAIL {file}:{line}: {name}", "未通過 {file}:{line}：{name}"),
}
