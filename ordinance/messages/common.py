"""Messages shared by every stage: how a problem is printed, "did you mean", separators, echoes.

Each entry: message id -> (English, Traditional Chinese), with the same ``{name}`` parameters.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # how problems are printed (ordinance/errors.py)
    "problem.headline-at": ("{where}: {code}: {message} (at {path})", "{where}: {code}: {message}（位於 {path}）"),
    "problem.hint": ("  hint: {hint}", "  提示：{hint}"),
    "problem.unknown-error": ("unknown error", "未知的錯誤"),
    "problem.and-more.one": ("{first} (and {count} more problem)", "{first}（另有 {count} 個問題）"),
    "problem.and-more.other": ("{first} (and {count} more problems)", "{first}（另有 {count} 個問題）"),
    "problem.more-shown.one": ("... and {count:,} more problem ({total:,} in all)",
                               "……另有 {count:,} 個問題（共 {total:,} 個）"),
    "problem.more-shown.other": ("... and {count:,} more problems ({total:,} in all)",
                                 "……另有 {count:,} 個問題（共 {total:,} 個）"),
    "problem.count.one": ("{count} problem", "{count} 個問題"),
    "problem.count.other": ("{count} problems", "{count} 個問題"),
    # hints every stage gives
    "hint.did-you-mean": ("did you mean {names}?", "是否應為 {names}？"),
    "hint.one-of": ("one of: {values}", "可選：{values}"),
    "hint.ascii-digits": ("write ASCII digits: {fixed}", "請以半形阿拉伯數字書寫：{fixed}"),
    "hint.flatten": ("flatten the data", "請減少資料的巢狀層次"),
    "hint.keep-one": ("keep one", "只保留一個"),
    # echoes of what the input gave
    "echo.shortened": ("{start}…({count:,} characters)…{end}", "{start}…（共 {count:,} 個字元）…{end}"),
    # separators for join()
    "sep.comma": (", ", "、"),
    "sep.or": (" or ", " 或 "),
    "sep.inputs": (", ", "；"),
    "sep.semicolon": ("; ", "；"),
}
