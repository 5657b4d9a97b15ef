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
    # the operating system's words for an error (os.strerror on Linux), by errno name: said_os_error()
    "os.ENOENT": ("No such file or directory", "沒有此文件或目錄"),
    "os.EACCES": ("Permission denied", "權限不足"),
    "os.EPERM": ("Operation not permitted", "不允許此操作"),
    "os.EISDIR": ("Is a directory", "是目錄"),
    "os.ENOTDIR": ("Not a directory", "不是目錄"),
    "os.EEXIST": ("File exists", "文件已存在"),
    "os.ENOSPC": ("No space left on device", "裝置上已無剩餘空間"),
    "os.EROFS": ("Read-only file system", "唯讀文件系統"),
    "os.ELOOP": ("Too many levels of symbolic links", "符號連結層數過多"),
    "os.ENAMETOOLONG": ("File name too long", "文件名稱過長"),
    "os.EMFILE": ("Too many open files", "開啟的文件過多"),
    "os.EBUSY": ("Device or resource busy", "裝置或資源忙碌"),
    "os.EIO": ("Input/output error", "輸入／輸出錯誤"),
    "os.EADDRINUSE": ("Address already in use", "位址已在使用中"),
    "os.EADDRNOTAVAIL": ("Cannot assign requested address", "無法指定所要求的位址"),
}
