"""Messages of the frame around the work: click's words for a usage mistake (ordinance/cli/usage.py),
and the server's answers written before any request head was read (ordinance/web/app.py).

Each entry: message id -> (English, Traditional Chinese), with the same ``{name}`` parameters.

The ``click.*`` entries are click's own English (its gettext msgids, with ``{name!r}`` written
``{name}``: the parameter is the quoted value as click said it), recognised in what click said
(:func:`~ordinance.messages.recognise`); tests/test_cli_usage.py holds each to the click installed.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # the frame of a usage mistake (click.UsageError.show)
    "framing.usage": ("Usage: ", "用法："),
    "framing.try-help": ("Try '{command} {option}' for help.", "請執行「{command} {option}」查看說明。"),
    "framing.error": ("Error: {message}", "錯誤：{message}"),
    "framing.did-you-mean.one": ("{message} Did you mean {possibilities}?", "{message}是否應為 {possibilities}？"),
    "framing.did-you-mean.other": ("{message} (Did you mean one of: {possibilities}?)",
                                   "{message}（是否應為下列之一：{possibilities}？）"),
    "framing.invalid-value-for": ("Invalid value for {param}: {message}", "{param} 的值無效：{message}"),
    "framing.env-var": ("{param} (env var: {names})", "{param}（環境變數：{names}）"),
    "framing.missing-argument": ("Missing argument {param}.", "缺少引數 {param}。"),
    "framing.missing-option": ("Missing option {param}.", "缺少選項 {param}。"),
    "framing.could-not-open": ("Could not open file {filename}: {message}", "無法開啟文件 {filename}：{message}"),
    "framing.interrupted": ("interrupted", "已中斷"),
    # the commands' own usage mistakes (ordinance/cli/main.py, serve.py)
    "framing.cannot-listen": ("cannot listen on {address}: {why}", "無法在 {address} 監聽：{why}"),
    "framing.cannot-listen-in-use": ("cannot listen on {address}: {why} (another program listens there)",
                                     "無法在 {address} 監聽：{why}（已有其他程式在此監聽）"),
    # the server's answers written before the app (ordinance/web/app.py, GuardedH11Protocol._refuse)
    "framing.http.too-many-connections": ("the server has {most} connections open, its limit; try again later",
                                          "伺服器已開啟 {most} 個連線，已達上限；請稍後再試"),
    "framing.http.bad-request": ("the request is not valid HTTP/1.1 (its request line, a header, the framing of "
                                 "its body, or a head over 16 KiB)",
                                 "請求不是有效的 HTTP/1.1（請求行、某個標頭、主體的分段方式有誤，或請求頭超過 16 KiB）"),
    "framing.http.head-timeout": ("the request's head did not arrive within {seconds} s",
                                  "請求頭未在 {seconds} 秒內送達"),
    # click's own messages (click/parser.py, core.py, exceptions.py, types.py)
    "click.no-such-option": ("No such option {name}.", "沒有選項 {name}。"),
    "click.no-such-command": ("No such command {name}.", "沒有指令 {name}。"),
    "click.missing-command": ("Missing command.", "缺少指令。"),
    "click.extra-argument": ("Got unexpected extra argument ({args})", "多出未預期的引數（{args}）"),
    "click.extra-arguments": ("Got unexpected extra arguments ({args})", "多出未預期的引數（{args}）"),
    "click.requires-argument": ("Option {name} requires an argument.", "選項 {name} 需要一個值。"),
    "click.takes-no-value": ("Option {name} does not take a value.", "選項 {name} 不接受值。"),
    "click.not-one-of": ("{value} is not one of {choices}.", "{value} 不是 {choices} 之一。"),
    "click.not-an-integer-range": ("{value} is not a valid integer range.", "{value} 不是有效的整數。"),
    "click.not-a-float-range": ("{value} is not a valid float range.", "{value} 不是有效的數字。"),
    "click.not-in-range": ("{value} is not in the range {range}.", "{value} 不在範圍 {range} 內。"),
    "click.path-does-not-exist": ("Path {filename} does not exist.", "路徑 {filename} 不存在。"),
    "click.directory-is-a-file": ("Directory {filename} is a file.", "{filename} 是文件，不是目錄。"),
    "click.file-is-a-directory": ("File {filename} is a directory.", "{filename} 是目錄，不是文件。"),
    "click.file-not-readable": ("File {filename} is not readable.", "文件 {filename} 無法讀取。"),
    "click.directory-not-readable": ("Directory {filename} is not readable.", "目錄 {filename} 無法讀取。"),
    "click.file-not-writable": ("File {filename} is not writable.", "文件 {filename} 無法寫入。"),
    "click.unlisted": ("{said}", "{said}"),
}
