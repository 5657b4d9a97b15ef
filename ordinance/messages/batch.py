"""Messages of ``ordinance batch`` around its output: the summary it prints to standard error
(ordinance/batch/summary.py), the notes of a run interrupted or resumed and why ``--resume``
cannot go on (ordinance/batch/runner.py, checkpoint.py, ordinance/cli/main.py).

The problems of the cases themselves are in :mod:`.cli` (``batch.`` entries of the input) and in
the other stages' modules.  Measure ids, case ids, file names, years, counts and amounts are
echoed as they are.  Each entry: message id -> (English, Traditional Chinese), with the same
``{name}`` parameters.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # the summary (ordinance/batch/summary.py)
    "batch.summary.cases.one": ("{count} case", "{count} 個案件"),
    "batch.summary.cases.other": ("{count} cases", "{count} 個案件"),
    "batch.summary.decided": ("decided {decided} of {cases} -> {out} ({fmt})", "已裁定 {cases}中的 {decided} 個 -> {out}（{fmt}）"),
    "batch.summary.no-cases": ("no cases found (a folder holds *.yaml, *.yml and *.json case files)",
                               "找不到案件（資料夾中應有 *.yaml、*.yml、*.json 案件文件）"),
    "batch.summary.claims": ("claims: {counts}", "申請：{counts}"),
    "batch.summary.status-count": ("{count} {status}", "{status} {count} 項"),
    "batch.summary.errors.one": ("errors: {count} case could not be decided ({cases}); see their records in the output",
                                 "錯誤：{count} 個案件無法裁定（{cases}）；詳見輸出中的記錄"),
    "batch.summary.errors.other": ("errors: {count} cases could not be decided ({cases}); see their records in the "
                                   "output",
                                   "錯誤：{count} 個案件無法裁定（{cases}）；詳見輸出中的記錄"),
    "batch.summary.quota": ("quota {measure} {year}: {ranked} ranked, {awarded} awarded, {open}{exceeded} beyond the "
                            "quota",
                            "名額 {measure} {year}：排名 {ranked} 項，授予 {awarded} 項，{open}超出名額 {exceeded} 項"),
    "batch.summary.quota-open": ("{count} open (undetermined claims may rank ahead), ",
                                 "未定 {count} 項（待定的申請可能排在前面），"),
    "batch.summary.amounts": ("amount due (eligible money claims), by measure and year:",
                              "應付金額（符合條件的資金申請），按措施及年度："),
    "batch.summary.all-measures": ("all measures", "全部措施"),
    "batch.summary.total": ("total", "合計"),
    "batch.summary.undated": ("undated", "無日期"),
    "batch.summary.open": ("still open (undetermined money claims: the least and the most they can come to), by "
                           "measure and year:",
                           "尚未確定（待定的資金申請：最少與最多可達的金額），按措施及年度："),
    "batch.summary.claims-count.one": ("{count} claim", "{count} 項申請"),
    "batch.summary.claims-count.other": ("{count} claims", "{count} 項申請"),
    "batch.summary.span": ("{least} to {most} 元", "{least} 至 {most} 元"),
    "batch.summary.at-least": ("at least {least} 元, no upper bound known", "至少 {least} 元，上限未知"),
    # the notes of a run (ordinance/cli/main.py, ordinance/batch/runner.py)
    "batch.note.jobs.one": ("note: --jobs {jobs} is more than the {count} CPU this process may use: running {count} "
                            "worker",
                            "注意：--jobs {jobs} 多於本程序可用的 {count} 個 CPU：改為執行 {count} 個工作程序"),
    "batch.note.jobs.other": ("note: --jobs {jobs} is more than the {count} CPUs this process may use: running {count} "
                              "workers",
                              "注意：--jobs {jobs} 多於本程序可用的 {count} 個 CPU：改為執行 {count} 個工作程序"),
    "batch.note.progress": ("deciding", "裁定中"),
    "batch.stopped.sigint": ("interrupted (SIGINT)", "已中斷（SIGINT）"),
    "batch.stopped.sigterm": ("terminated (SIGTERM)", "已終止（SIGTERM）"),
    "batch.stopped.worker": ("stopped: a worker process died (killed, or out of memory)",
                             "已停止：有工作程序終止（被強制結束，或記憶體不足）"),
    "batch.note.stopped.one": ("{what} after {count} case: {out} holds their complete records (quotas not yet ranked), "
                               "{checkpoint} the rest of what is needed to go on.\nto resume: {again}",
                               "{what}，已處理 {count} 個案件：{out} 保存其完整記錄（名額尚未排名），{checkpoint} "
                               "保存繼續所需的其餘資料。\n續跑：{again}"),
    "batch.note.stopped.other": ("{what} after {count} cases: {out} holds their complete records (quotas not yet "
                                 "ranked), {checkpoint} the rest of what is needed to go on.\nto resume: {again}",
                                 "{what}，已處理 {count} 個案件：{out} 保存其完整記錄（名額尚未排名），{checkpoint} "
                                 "保存繼續所需的其餘資料。\n續跑：{again}"),
    "batch.note.resumed.one": ("resumed after {count} case decided before the interruption",
                               "已續跑：中斷前已裁定 {count} 個案件"),
    "batch.note.resumed.other": ("resumed after {count} cases decided before the interruption",
                                 "已續跑：中斷前已裁定 {count} 個案件"),
    "batch.note.resumed-lang": ("note: the run being resumed began in {language}: the records of the cases it goes on "
                                "to decide are in {language} too, so that the output is in one language",
                                "注意：所續跑的批次以{language}開始：其後裁定的案件記錄也用{language}，使輸出保持同一語言"),
    "batch.lang.en": ("English", "英文"),
    "batch.lang.zh": ("Chinese", "中文"),
    # the command's usage mistakes (ordinance/cli/main.py)
    "batch.usage.input": ("give a folder of case files, a .jsonl file or a .csv file",
                          "請提供案件文件的資料夾、.jsonl 文件或 .csv 文件"),
    "batch.usage.overwrite": ("the output would overwrite the input", "輸出會覆蓋輸入"),
    "batch.usage.not-a-file": ("give a file: the quotas are ranked by rewriting the output in place, and an "
                               "interrupted run resumes from it (not a device or a pipe)",
                               "請提供一個文件：名額排名要就地改寫輸出，中斷的批次也從它續跑（不能是裝置或管道）"),
    # why --resume cannot go on (ordinance/batch/runner.py, checkpoint.py)
    "batch.resume.cannot": ("cannot resume: {why}", "無法續跑：{why}"),
    "batch.resume.no-checkpoint": ("{out} has no checkpoint ({checkpoint}): the run that wrote it finished, or it was "
                                   "not written by `ordinance batch`; there is nothing to resume",
                                   "{out} 沒有檢查點（{checkpoint}）：寫入它的批次已完成，或它不是 `ordinance batch` "
                                   "寫的；沒有可續跑的內容"),
    "batch.resume.mismatch": ("{out} does not match its checkpoint ({checkpoint}); run the batch again without --resume",
                              "{out} 與其檢查點（{checkpoint}）不符；請不加 --resume 重新執行批次"),
    "batch.resume.input-changed": ("the input changed since the interrupted run (case {n} was {at}); run the batch "
                                   "again without --resume",
                                   "輸入在中斷後已改變（第 {n} 個案件原為 {at}）；請不加 --resume 重新執行批次"),
    "batch.resume.lines-changed": ("the input changed since the interrupted run (lines {first} to {last} are not what "
                                   "they were); run the batch again without --resume",
                                   "輸入在中斷後已改變（第 {first} 至 {last} 行與原來不同）；請不加 --resume 重新執行批次"),
    "batch.resume.unreadable": ("{checkpoint} is not a checkpoint this version can read; run the batch again without "
                                "--resume",
                                "{checkpoint} 不是此版本能讀取的檢查點；請不加 --resume 重新執行批次"),
    "batch.resume.unreadable-old": ("{checkpoint} is not a checkpoint this version can read (format {version}, of an "
                                    "earlier version of ordinance; this one reads {reads}); run the batch again "
                                    "without --resume",
                                    "{checkpoint} 不是此版本能讀取的檢查點（格式 {version}，屬較早版本的 ordinance；"
                                    "此版本讀取格式 {reads}）；請不加 --resume 重新執行批次"),
    "batch.resume.other-options": ("{out} was started with other options: {options} differ; resume with the same ones, "
                                   "or run again without --resume",
                                   "{out} 開始時用的是其他選項：{options} 不同；請以相同選項續跑，或不加 --resume 重新執行"),
    "batch.resume.option.input": ("the input", "輸入"),
    "batch.resume.option.policy": ("the policy (its rule files changed, or --policy differs)",
                                   "政策（規則文件已改變，或 --policy 不同）"),
    "batch.resume.option.limits": ("the --max-... limits", "--max-... 上限"),
    "batch.resume.option.mode": ("the way the input is read (blocks of a JSON Lines file, or case by case)",
                                 "輸入的讀取方式（JSON Lines 文件分塊，或逐個案件）"),
    "batch.resume.missing": ("{out} is missing: there is nothing to resume; run the batch again without --resume",
                             "{out} 不存在：沒有可續跑的內容；請不加 --resume 重新執行批次"),
    "batch.resume.shorter": ("{out} is shorter than its checkpoint says; run the batch again without --resume",
                             "{out} 比其檢查點所記錄的短；請不加 --resume 重新執行批次"),
}
