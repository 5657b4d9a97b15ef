"""Messages of decisions and their reports: the notes and input names the engine writes into the
trace (their English is what the decision's JSON holds), the words of ranges and periods, and the
chrome of the text, Markdown and HTML renderings (ordinance/render/).

Words the rule files give (labels, reasons, readings) are not here: they carry their own ``zh:``
and ``en:``.  Each entry: message id -> (English, Traditional Chinese), with the same ``{name}``
parameters.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # notes of the trace (ordinance/run/, ordinance/plan/, ordinance/rules/)
    "note.measure": ("measure {id} ({article})", "措施 {id}（{article}）"),
    "note.responsible": ("responsible: {units}", "責任單位：{units}"),
    "note.reading-rule-file": ("how the rule file reads the text", "規則文件對條文的解讀"),
    "note.reading-policy": ("how the policy reads the text", "政策對條文的解讀"),
    "note.basis-maximum": ("basis: statutory maximum (最高不超過)", "依據：最高限額（最高不超過）"),
    "note.basis-exact": ("basis: exact amount", "依據：確定金額"),
    "note.capped": ("capped {scope}: {amount} > {limit}", "已按{scope}上限封頂：{amount} > {limit}"),
    "note.not-capped": ("not capped: {amount} <= {limit}", "未達上限：{amount} <= {limit}"),
    "note.capped-by": ("capped by {text}: {amount} > {limit}", "以 {text} 封頂：{amount} > {limit}"),
    "note.capped-remaining": ("capped {scope}: {amount} > {remaining} remaining",
                              "已按{scope}上限封頂：{amount} > 尚餘 {remaining}"),
    "note.within-cap": ("within the cap {scope}: {remaining} remaining", "在{scope}上限之內：尚餘 {remaining}"),
    "note.pool-remains": ("if the undetermined claims drawing on it first take the most they can, {amount} remains",
                          "若共用此上限的待定申請先取其最高額，尚餘 {amount}"),
    "note.cap-depends.one": ("what remains of the cap depends on undetermined claim {claims}",
                             "上限的餘額取決於待定申請 {claims}"),
    "note.cap-depends.other": ("what remains of the cap depends on undetermined claims {claims}",
                               "上限的餘額取決於待定申請 {claims}"),
    "note.row-applies": ("first matching row: its values apply", "第一個符合的列：適用其值"),
    "note.row-does-not-match": ("does not match", "不符合"),
    "note.row-cannot-tell": ("cannot tell: facts are missing", "無法判斷：缺少事實"),
    "note.no-row": ("no row applies", "沒有適用的列"),
    "note.decided-as-of": ("the claim gives no date: decided as of {day}", "申請未填日期：以 {day} 裁定"),
    "note.period-claim-year": ("{period}: the year of the claim date {day}: {year}",
                               "{period}：申請日期 {day} 所在年度：{year}"),
    "note.period-year-before": ("{period}: the last full financial year before the claim date {day}: {year}",
                                "{period}：申請日期 {day} 前最近一個完整會計年度：{year}"),
    "note.period-no-date": ("{period}: the claim gives no date: the year cannot be told",
                            "{period}：申請未填日期，無法確定年度"),
    "note.period-one-value": ("one value is given for every year: it is read as the value of that year",
                              "各年度只給了一個值：以之作為該年度的值"),
    "note.period-no-value": ("the case gives no value for {year}: unknown ({missing}); no other year is read in its "
                             "place",
                             "案件沒有 {year} 年的值：未知（{missing}）；不以其他年度代替"),
    "note.one-time-granted": ("one-time award already granted by {claim}", "一次性獎勵已由 {claim} 兌現"),
    "note.one-time-open": ("a one-time award: nothing if the earlier claim {claims} is granted it",
                           "一次性獎勵：如先前的申請 {claims} 獲得，則本申請為零"),
    "note.superseded-by": ("superseded by {claim}", "被 {claim} 取代"),
    "note.highest-kept": ("highest of {count} claims for project {project}: kept", "項目 {project} 的 {count} 項申請中最高：保留"),
    "note.cannot-come-out-higher": ("undetermined claim(s) that cannot come out higher: {claims}",
                                    "不可能更高的待定申請：{claims}"),
    "note.superseded-by-prior": ("superseded by prior award {award} ({amount})", "被既往獎補 {award}（{amount}）取代"),
    "note.prior-deducted": ("prior award {award} of {amount} for this project is deducted: the applicant receives "
                            "the highest award once, not both",
                            "本項目的既往獎補 {award}（{amount}）予以扣除：申請主體就高獲獎一次，不重複享受"),
    "note.superseded-if": ("superseded if the undetermined claim {claims} for project {project} comes out higher "
                           "(就高不重複)",
                           "如項目 {project} 的待定申請 {claims} 結果更高，則被取代（就高不重複）"),
    "note.reading": ("reading: {reading}", "解讀：{reading}"),
    "note.quota-pending": ("subject to the quota: at most {count} awards a {per} city-wide, ranked by {rank_by} "
                           "({order}); one case alone cannot decide it",
                           "受名額限制：全市每{per}最多 {count} 個名額，按 {rank_by} 排名（{order}）；單一案件無法自行決定"),
    "note.quota-within": ("quota: ranked {position} of {contenders} for {year}; within the {count} awards a year "
                          "(ties broken by case id, then claim id)",
                          "名額：{year} 年 {contenders} 項中排第 {position}；在每年 {count} 個名額之內"
                          "（同額按案件編號、申請編號排序）"),
    "note.quota-within.taken": ("quota: ranked {position} of {contenders} for {year} ({taken} already awarded); "
                                "within the {count} awards a year (ties broken by case id, then claim id)",
                                "名額：{year} 年 {contenders} 項中排第 {position}（已授予 {taken} 個）；在每年 {count} "
                                "個名額之內（同額按案件編號、申請編號排序）"),
    "note.quota-beyond": ("quota: ranked {position} of {contenders} for {year}; beyond the {count} awards a year "
                          "(ties broken by case id, then claim id)",
                          "名額：{year} 年 {contenders} 項中排第 {position}；超出每年 {count} 個名額"
                          "（同額按案件編號、申請編號排序）"),
    "note.quota-beyond.taken": ("quota: ranked {position} of {contenders} for {year} ({taken} already awarded); "
                                "beyond the {count} awards a year (ties broken by case id, then claim id)",
                                "名額：{year} 年 {contenders} 項中排第 {position}（已授予 {taken} 個）；超出每年 {count} "
                                "個名額（同額按案件編號、申請編號排序）"),
    "note.quota-open.one": ("within the quota unless the {count} undetermined claim under it rank ahead",
                            "在名額之內，除非同一名額下的 {count} 項待定申請排名在前"),
    "note.quota-open.other": ("within the quota unless the {count} undetermined claims under it rank ahead",
                              "在名額之內，除非同一名額下的 {count} 項待定申請排名在前"),
    # the scope of a cap (ordinance/plan/steps.py)
    "scope.claim": ("per claim", "每項申請"),
    "scope.entity-year": ("per entity per year", "每家每年"),
    "scope.project": ("per project", "每個項目"),
    "scope.product": ("per product", "每個產品"),
    "scope.project-year": ("per project per year", "每個項目每年"),
    "scope.product-year": ("per product per year", "每個產品每年"),
    # expressions the engine writes for a step that has none of its own
    "expr.within": ("claim.date within {valid}", "claim.date 在 {valid} 之內"),
    "expr.period": ("{name} for {period}", "{name}（{period}）"),
    # words of values
    "words.validity": ("{start} to {end}", "{start} 至 {end}"),
    "words.between": ("between {least} and {most}", "介於 {least} 與 {most} 之間"),
    "words.at-least": ("at least {least}; no upper bound is known", "至少 {least}；上限未知"),
    "words.depending.one": ("{words}, depending on claim {claims}", "{words}，取決於申請 {claims}"),
    "words.depending.other": ("{words}, depending on claims {claims}", "{words}，取決於申請 {claims}"),
    "words.still-open.one": ("{words} (undetermined claim {claims})", "{words}（待定申請 {claims}）"),
    "words.still-open.other": ("{words} (undetermined claims {claims})", "{words}（待定申請 {claims}）"),
    "words.per.year": ("year", "年"),
    "words.order.descending": ("descending", "由高至低"),
    "words.order.ascending": ("ascending", "由低至高"),
    # the names of the inputs the engine records for its own steps
    "input.amount": ("amount", "金額"),
    "input.limit": ("limit", "限額"),
    "input.cap": ("cap", "上限"),
    "input.granted-history": ("already granted (history)", "已授予（既往獎補）"),
    "input.granted-earlier": ("already granted (earlier claims)", "已授予（先前的申請）"),
    "input.remaining": ("remaining", "餘額"),
    "input.year": ("year", "年度"),
    "input.project": ("project", "項目"),
    "input.this-claim": ("this claim", "本申請"),
    "input.rank-value": ("rank value", "排名依據值"),
    "input.depends-on": ("depends on", "取決於"),
    "input.at-least": ("at least", "至少"),
    "input.at-most": ("at most", "至多"),
    "input.years-given": ("years given", "已填年度"),
    "input.year-read": ("year read", "讀取年度"),
}
