"""Every user-facing report string in English and Chinese.

Use :func:`t` with a key; ``language`` comes from the notebook parameters. A key missing in
either language is a programming error caught by the tests, not a blank in a report.
"""
from __future__ import annotations

LANGUAGES = ("en", "zh")

STRINGS: dict[str, dict[str, str]] = {
    # runner and index pages
    "run": {"en": "Run", "zh": "运行"},
    "runs": {"en": "custlab runs", "zh": "custlab 运行记录"},
    "notebook": {"en": "Notebook", "zh": "分析报告"},
    "status": {"en": "Status", "zh": "状态"},
    "seconds": {"en": "Seconds", "zh": "耗时（秒）"},
    "failing_cell": {"en": "Failing cell", "zh": "出错单元"},
    "error": {"en": "Error", "zh": "错误"},
    "key_numbers": {"en": "Key numbers", "zh": "关键指标"},
    "git_dirty": {"en": "with uncommitted changes", "zh": "含未提交的改动"},
    "metric_now": {"en": "This run", "zh": "本次"}, "metric_before": {"en": "Run {run}", "zh": "上次（{run}）"},
    "metric_change": {"en": "Change", "zh": "变化"}, "metric_details": {"en": "All recorded values", "zh": "全部记录值"},
    "analyst_report": {"en": "Analyst report", "zh": "分析师版"},
    "leadership_report": {"en": "Leadership report", "zh": "管理层版"},
    "started": {"en": "Started", "zh": "开始时间"},
    "finished": {"en": "Finished", "zh": "结束时间"},
    "ok": {"en": "ok", "zh": "成功"},
    "failed": {"en": "failed", "zh": "失败"},
    "timeout": {"en": "timed out", "zh": "超时"},
    "interrupted": {"en": "interrupted", "zh": "已中断"},
    "not-run": {"en": "not run", "zh": "未运行"},
    "incomplete": {"en": "incomplete", "zh": "未完成"},
    "killed": {"en": "killed (the command stopped without finishing)", "zh": "已终止（命令未完成即停止）"},
    "running": {"en": "running", "zh": "运行中"},
    "leadership_failed": {"en": "This report is incomplete: the analysis stopped before its end. The analysts' report and the run's log say where and why.",
                          "zh": "本报告不完整：分析未能进行到底。出错的位置和原因见分析师版报告和本次运行的日志。"},
    "notebooks_ok": {"en": "{ok} of {total} notebooks succeeded", "zh": "{total} 个报告中 {ok} 个成功"},
    "latest_run": {"en": "Latest complete run", "zh": "最近一次完整运行"},
    "git_commit": {"en": "Code version", "zh": "代码版本"},
    # charts
    "share_customers": {"en": "Share of customers (%)", "zh": "客户占比（%）"},
    "share_value": {"en": "Share of revenue (%)", "zh": "收入占比（%）"},
    "pareto_title": {"en": "Pareto curve of revenue", "zh": "收入帕累托曲线"},
    "ca_dim": {"en": "Dimension {n}", "zh": "维度 {n}"},
    "ca_title": {"en": "Correspondence analysis: industry and product category", "zh": "对应分析：行业与产品类别"},
    "missing_title": {"en": "Missing values per column (%)", "zh": "各字段缺失率（%）"},
    # the period analysed (top of every notebook)
    "period_fixed": {"en": "Period analysed: orders from {first} up to {as_of} (the analysis date set in params).",
                     "zh": "分析期间：{first} 至 {as_of} 的订单（分析日期由参数设定）。"},
    "period_latest_order": {"en": "Period analysed: orders from {first} up to {as_of}, the day of the latest order.",
                            "zh": "分析期间：{first} 至 {as_of}（最近一笔订单的日期）的订单。"},
    "period_today": {"en": "Period analysed: up to {as_of} (today; the source has no orders).",
                     "zh": "分析期间：截至 {as_of}（今天；源数据中没有订单）。"},
    "period_none": {"en": "Period analysed: up to {as_of}.", "zh": "分析期间：截至 {as_of}。"},
    "period_after": {"en": "{n:,} later orders (up to {last}) are kept in the clean tables but lie outside this period.",
                     "zh": "另有 {n:,} 条更晚的订单（最晚 {last}）保留在清洗后的数据中，但不在本期分析范围内。"},
    "dq_f_unmatched": {"en": "{n:,} {column} spellings ({rows:,} rows) matched nothing custlab knows and are kept as written (listed below; add them to cleaning.{setting} in params).",
                       "zh": "{n:,} 种{column}写法（共 {rows:,} 行）无法识别，已按原文保留（见下表；可在参数 cleaning.{setting} 中补充）。"},
    # data quality
    "dq_rows": {"en": "The database holds {customers:,} customer records and {orders:,} orders across {tables} tables.",
                "zh": "数据库共 {tables} 张表，含 {customers:,} 条客户记录、{orders:,} 条订单。"},
    "dq_missing": {"en": "The most incomplete customer field is {column} ({share:.1%} missing).",
                   "zh": "缺失最多的客户字段是 {column}（缺失 {share:.1%}）。"},
    "dq_missing_none": {"en": "No customer field has missing values.", "zh": "客户字段均无缺失。"},
    "dq_impossible": {"en": "{negative:,} orders have negative amounts, {future:,} are dated after {as_of}, and {zero:,} customers report zero employees.",
                      "zh": "{negative:,} 条订单金额为负，{future:,} 条订单日期晚于 {as_of}，{zero:,} 个客户员工人数为 0。"},
    "dq_absent": {"en": "Not in the source, so left out of every analysis that uses them: {columns}. If the export has them under other names, map them in `columns:` of params/base.yaml.",
                  "zh": "源数据中没有以下字段，用到它们的分析均已略去：{columns}。如导出文件中这些字段另有名称，请在 params/base.yaml 的 columns: 中映射。"},
    "dq_credit_none": {"en": "The source holds no unified social credit codes to check.", "zh": "源数据中没有可校验的统一社会信用代码。"},
    "dq_credit": {"en": "{invalid:,} of {present:,} unified social credit codes fail the GB 32100 check character.",
                  "zh": "{present:,} 个统一社会信用代码中有 {invalid:,} 个校验位不正确。"},
    "dq_f_merged": {"en": "{merged:,} duplicate customer records were merged into {entities:,} companies; their orders and interactions now sit under one id.",
                    "zh": "{merged:,} 条重复客户记录已合并为 {entities:,} 家企业，其订单和互动记录已归到同一客户编号下。"},
    "dq_f_orders": {"en": "{n:,} orders ({share:.1%}) were quarantined for follow-up, mostly for {reason}.",
                    "zh": "{n:,} 条订单（{share:.1%}）已隔离待核查，主要原因是{reason}。"},
    "dq_f_orders_none": {"en": "No order had to be quarantined.", "zh": "没有订单需要隔离。"},
    "dq_f_units": {"en": "{n:,} amounts recorded in 万元 instead of 元 were corrected (the magnitude proves the unit).",
                   "zh": "{n:,} 个误以万元记录的金额已按元更正（数量级可以证明单位错误）。"},
    "dq_f_revenue_low": {"en": "Annual revenue looks like it is not in 元: the median is {per_head:,.0f} 元 per employee over "
                                "{n:,} customers, where firms take in tens of thousands of 元 per employee at the very least. If the "
                                "column is in 万元, name the header 年营业收入(万元) or set cleaning.units "
                                "{{customers.annual_revenue: 10000}} in params.",
                         "zh": "年营业收入看起来不是以元计：{n:,} 个客户的人均营业收入中位数只有 {per_head:,.0f} 元，而企业人均营业收入"
                               "至少也在数万元。若该列以万元计，请把表头写作“年营业收入(万元)”，或在参数中设置 "
                               "cleaning.units {{customers.annual_revenue: 10000}}。"},
    "dq_f_revenue_high": {"en": "Annual revenue looks too large for the companies' size: the median is {per_head:,.0f} 元 per "
                                 "employee over {n:,} customers. Check the unit of the column (a header or cleaning.units may say "
                                 "万元 where the values are in 元).",
                          "zh": "年营业收入相对企业规模明显偏大：{n:,} 个客户的人均营业收入中位数为 {per_head:,.0f} 元。请核对该列单位"
                                "（表头或 cleaning.units 可能写了万元，而数值其实以元计）。"},
    "dq_f_branches": {"en": "{n:,} branch offices (分公司, 办事处) are customers of their own, not merged into their head "
                             "office; {linked:,} of them are linked to it (column head_office_id).",
                      "zh": "{n:,} 个分支机构（分公司、办事处）作为独立客户保留，未并入总部；其中 {linked:,} 个已关联到其总部客户。"},
    "dq_f_standardized": {"en": "{n:,} industry, province and city spellings of {customers:,} customers were standardized.",
                          "zh": "{customers:,} 个客户的 {n:,} 处行业、省份、城市写法已统一。"},
    "dq_f_followup": {"en": "{n:,} customers miss key fields and are on the follow-up list (most often: {column}).",
                      "zh": "{n:,} 个客户缺少关键字段，已列入待补充名单（最常缺：{column}）。"},
    "dq_f_untested": {"en": "The {column} values were not checked for 万元 mistakes and outliers: the source has no {within} to compare them within, and magnitude alone proves nothing.",
                      "zh": "{column}未做万元单位错误与异常值检查：源数据中没有可供同类比较的{within}，仅凭数量级无法判断。"},
    "dq_balanced": {"en": "Every input row is accounted for: kept, merged or quarantined.",
                    "zh": "每一条输入记录都有去向：保留、合并或隔离。"},
    "dq_unbalanced": {"en": "The reconciliation does not balance for: {tables}.", "zh": "以下表的记录数对不上：{tables}。"},
    "reason_negative_amount": {"en": "negative amounts", "zh": "金额为负"},
    "reason_exact_duplicate_row": {"en": "rows repeated exactly", "zh": "完全重复的行"},
    "reason_order_not_revenue": {"en": "cancelled or returned orders (not revenue)", "zh": "已取消或已退货的订单（不计收入）"},
    "reason_future_order_date": {"en": "dates that have not happened yet", "zh": "日期晚于今天（尚未发生）"},
    "reason_unknown_customer": {"en": "unknown customers", "zh": "客户不存在"},
    "reason_customer_quarantined": {"en": "quarantined customers", "zh": "客户已被隔离"},
    "reason_amount_outlier": {"en": "implausible amounts", "zh": "金额异常"},
    "reason_duplicate_order_id": {"en": "repeated order numbers", "zh": "订单号重复"},
    "reason_missing_order_id": {"en": "missing order numbers", "zh": "缺少订单号"},
    "reason_missing_customer_id": {"en": "missing customer ids", "zh": "缺少客户编号"},
    "reason_missing_order_date": {"en": "missing dates", "zh": "缺少日期"},
    "reason_missing_amount": {"en": "missing amounts", "zh": "缺少金额"},
    # key accounts
    "ka_h_key": {"en": "{n:,} key accounts (the top tier) bring {share:.1%} of revenue.",
                 "zh": "{n:,} 个大客户（高价值层）贡献了 {share:.1%} 的收入。"},
    "ka_h_risk": {"en": "{n:,} of them are at risk of churning, with {revenue:,.0f} CNY of revenue at stake.",
                  "zh": "其中 {n:,} 个存在流失风险，涉及收入 {revenue:,.0f} 元。"},
    "ka_h_moves": {"en": "Since the last run, {n:,} key accounts dropped out of the top tier.",
                   "zh": "与上次运行相比，{n:,} 个大客户跌出了高价值层。"},
    "ka_h_first": {"en": "This is the first run, so there are no tier moves to compare yet.",
                   "zh": "这是第一次运行，暂无层级变动可比较。"},
    "ka_index": {"en": "The key-account index weighs {top} most ({weight:.0%}); the top-ranked customer scores {score:.0f} of 100.",
                 "zh": "大客户指数中权重最高的是{top}（{weight:.0%}）；排名第一的客户得分 {score:.0f}（满分 100）。"},
    "ka_rfmai": {"en": "RFMAI finds {k} customer classes; class C1 ({share:.0%} of customers) brings {revenue:.0%} of revenue.",
                 "zh": "RFMAI 聚类得到 {k} 类客户；C1 类（占客户 {share:.0%}）贡献 {revenue:.0%} 的收入。"},
    "ka_tags": {"en": "{high:,} customers buy at least {n} times a year; {dormant:,} have not ordered in 12 months.",
                "zh": "{high:,} 个客户年采购不少于 {n} 次；{dormant:,} 个客户 12 个月内无订单。"},
    "ka_cross": {"en": "Industry and product category are {dep} (chi-square {chi2:,.0f}, {p}, Cramér's V = {v:.2f}).",
                 "zh": "行业与产品类别{dep}（卡方 {chi2:,.0f}，{p}，Cramér's V = {v:.2f}）。"},
    "ka_cross_none": {"en": "The cross analysis of {rows} and {cols} is left out: it needs both in the source, with at least two known values each.",
                      "zh": "{rows}与{cols}的交叉分析从略：源数据需同时包含两者，且各自至少有两个已知取值。"},
    # the association's size (CrossTable.strength): "related" alone overstates a significant V of 0.04
    "ka_rel_none": {"en": "not clearly related", "zh": "无显著关联"},
    "ka_rel_negligible": {"en": "related in a statistical sense only: the association is negligible",
                          "zh": "在统计上相关，但关联极弱、可忽略"},
    "ka_rel_small": {"en": "weakly related", "zh": "弱相关"},
    "ka_rel_medium": {"en": "moderately related", "zh": "中等程度相关"},
    "ka_rel_large": {"en": "strongly related", "zh": "强相关"},
    "ka_strategy": {"en": "Each tier's recommended action comes from the strategy table in params/10_key_accounts.yaml.",
                    "zh": "各层建议动作来自 params/10_key_accounts.yaml 中的策略表。"},
    "ka_migration": {"en": "{stay:.0%} of last run's key accounts are still in the top tier.",
                     "zh": "上次的大客户中 {stay:.0%} 仍在高价值层。"},
    "ka_rfm": {"en": "{customers:,} customers bought on or before {as_of}; the largest RFM segment is {segment} ({share:.0%}).",
               "zh": "截至 {as_of} 共 {customers:,} 个客户有购买；最大的 RFM 客群是{segment}（{share:.0%}）。"},
    "ka_pareto": {"en": "The top {top:.0%} of customers ({n:,} key accounts) bring {share:.1%} of revenue.",
                  "zh": "前 {top:.0%} 的客户（{n:,} 个大客户）贡献了 {share:.1%} 的收入。"},
    "ka_churn": {"en": "{n:,} high-value customers are at risk (in the last {months} months against the {months} before, orders down at least {orders:.0%} and interactions at least {interactions:.0%}; or P(alive) below {cut:.0%}); their revenue in the period is {revenue:,.0f} CNY.",
                 "zh": "{n:,} 个高价值客户存在流失风险（最近 {months} 个月与之前 {months} 个月相比，订单下降至少 {orders:.0%} 且互动下降至少 {interactions:.0%}；或存活概率低于 {cut:.0%}），其期内收入为 {revenue:,.0f} 元。"},
    "ka_churn_orders": {"en": "{n:,} high-value customers are at risk (in the last {months} months against the {months} before, orders down at least {orders:.0%}, the source having no interactions to go by; or P(alive) below {cut:.0%}); their revenue in the period is {revenue:,.0f} CNY.",
                        "zh": "{n:,} 个高价值客户存在流失风险（最近 {months} 个月与之前 {months} 个月相比，订单下降至少 {orders:.0%}，源数据中没有互动记录可参考；或存活概率低于 {cut:.0%}），其期内收入为 {revenue:,.0f} 元。"},
    "ka_churn_rule": {"en": "{n:,} high-value customers are at risk (in the last {months} months against the {months} before, orders down at least {orders:.0%} and interactions at least {interactions:.0%}); their revenue in the period is {revenue:,.0f} CNY.",
                      "zh": "{n:,} 个高价值客户存在流失风险（最近 {months} 个月与之前 {months} 个月相比，订单下降至少 {orders:.0%} 且互动下降至少 {interactions:.0%}），其期内收入为 {revenue:,.0f} 元。"},
    "ka_churn_orders_rule": {"en": "{n:,} high-value customers are at risk (in the last {months} months against the {months} before, orders down at least {orders:.0%}, the source having no interactions to go by); their revenue in the period is {revenue:,.0f} CNY.",
                             "zh": "{n:,} 个高价值客户存在流失风险（最近 {months} 个月与之前 {months} 个月相比，订单下降至少 {orders:.0%}，源数据中没有互动记录可参考），其期内收入为 {revenue:,.0f} 元。"},
    "ka_bgnbd_left_out": {"en": "The BG/NBD model is left out: {n:,} customers bought more than once, and it needs at least {minimum} to estimate how customers drop out. The watchlist follows the rule alone.",
                          "zh": "BG/NBD 模型从略：只有 {n:,} 个客户有复购，估计客户流失过程至少需要 {minimum} 个。流失预警名单仅按规则判断。"},
    "va_bgnbd_params": {"en": "BG/NBD fitted on {n:,} customers: a customer still buying places about {rate:.2f} orders a day, and drops out after an order with probability {drop:.1%}.",
                        "zh": "BG/NBD 模型基于 {n:,} 个客户：仍在购买的客户平均每天下单约 {rate:.2f} 次，每次下单后流失的概率为 {drop:.1%}。"},
    "dq_duplicates": {"en": "{pairs:,} pairs of records match as the same company, in {groups:,} groups.",
                      "zh": "{pairs:,} 对记录被识别为同一家企业，共 {groups:,} 组。"},
    "ka_bgnbd": {"en": "BG/NBD model: customers are expected to place {expected:,.0f} repeat orders in the next {days} days.",
                 "zh": "BG/NBD 模型：预计未来 {days} 天客户将复购 {expected:,.0f} 次。"},
    # survey factors
    "fa_no_survey": {"en": "The source has no survey table, so this analysis is left out. If the answers are in another table, name it under source.tables.survey in params/base.yaml.",
                     "zh": "源数据中没有问卷表，本分析从略。如问卷答案在另一张表中，请在 params/base.yaml 中指定。"},
    "fa_adequacy": {"en": "KMO = {kmo:.2f} ({grade}) and Bartlett's test rejects uncorrelated answers (chi-square {chi2:,.0f}, df {df}, {p}): the {n:,} complete questionnaires share enough to look for factors.",
                    "zh": "KMO = {kmo:.2f}（{grade}），Bartlett 球形检验拒绝了各题互不相关的假设（卡方 {chi2:,.0f}，自由度 {df}，{p}）：{n:,} 份完整问卷的共同信息足以做因子分析。"},
    "fa_adequacy_poor": {"en": "KMO = {kmo:.2f} ({grade}; Bartlett's {p}): the {n:,} complete questionnaires share too little for factors to mean much, so read what follows with care.",
                         "zh": "KMO = {kmo:.2f}（{grade}；Bartlett 检验 {p}）：{n:,} 份完整问卷的共同信息偏少，以下因子结果请谨慎解读。"},
    "fa_grade_marvelous": {"en": "marvelous", "zh": "极好"}, "fa_grade_meritorious": {"en": "meritorious", "zh": "很好"},
    "fa_grade_middling": {"en": "middling", "zh": "中等"}, "fa_grade_mediocre": {"en": "mediocre", "zh": "一般"},
    "fa_grade_miserable": {"en": "miserable", "zh": "较差"}, "fa_grade_unacceptable": {"en": "unacceptable", "zh": "不可接受"},
    "fa_count": {"en": "Parallel analysis keeps {n} factors: {n} eigenvalues beat the {q:.0%} quantile of random data's (the eigenvalue-above-1 rule would keep {kaiser}).",
                 "zh": "平行分析保留 {n} 个因子：有 {n} 个特征值高于随机数据特征值的 {q:.0%} 分位数（按特征值大于 1 的准则则保留 {kaiser} 个）。"},
    "fa_count_set": {"en": "{n} factors, as set in params/20_survey_factors.yaml (parallel analysis would keep {parallel}).",
                     "zh": "按 params/20_survey_factors.yaml 的设定提取 {n} 个因子（平行分析建议 {parallel} 个）。"},
    "fa_loadings": {"en": "{n} factors explain {share:.0%} of the answers' variance; {top} explains the most ({top_share:.0%}).",
                    "zh": "{n} 个因子解释了答案 {share:.0%} 的方差，其中{top}解释最多（{top_share:.0%}）。"},
    "fa_phi": {"en": "The factors are correlated (up to {r:.2f}, between {a} and {b}), as customers' views of one supplier usually are.",
               "zh": "因子之间存在相关（最高 {r:.2f}，在{a}与{b}之间），这与客户对同一供应商各方面评价通常相互关联一致。"},
    "fa_alpha": {"en": "Every scale is reliable: Cronbach's alpha is at least {minimum:.2f} (lowest: {lowest}, {alpha:.2f}).",
                 "zh": "各量表信度良好：Cronbach's α 均不低于 {minimum:.2f}（最低为{lowest}，{alpha:.2f}）。"},
    "fa_alpha_weak": {"en": "Cronbach's alpha is below {minimum:.2f} for {scales}: scores on these scales are unreliable, so revise their questions before relying on them.",
                      "zh": "{scales}的 Cronbach's α 低于 {minimum:.2f}：这些量表的得分不可靠，使用前请修订相应题目。"},
    "fa_pca": {"en": "The first {k} principal components explain {share:.0%} of the variance of the {items} items.",
               "zh": "前 {k} 个主成分解释了 {items} 道题目 {share:.0%} 的方差。"},
    "rg_drivers": {"en": "The {k} factor scales explain {r2:.0%} of the variance in {outcome} ({n:,} questionnaires): {top} matters most ({share:.0%} of what they explain), {last} least ({last_share:.0%}).",
                   "zh": "{k} 个因子量表解释了{outcome} {r2:.0%} 的方差（{n:,} 份问卷）：{top}影响最大（占已解释部分的 {share:.0%}），{last}最小（{last_share:.0%}）。"},
    "rg_no_outcome": {"en": "The survey table has no {outcome} column, so what drives it is left out.",
                      "zh": "问卷表中没有{outcome}字段，其驱动因素分析从略。"},
    "rg_title": {"en": "What drives {outcome}", "zh": "{outcome}的驱动因素"},
    "rg_axis": {"en": "Share of explained variance (%)", "zh": "占已解释方差（%）"},
    # customer segments
    "sg_customers": {"en": "{n:,} customers ordered in the {months} months up to {as_of} and are segmented on {features} features of how they buy; {left:,} without an order in that window are left out.",
                     "zh": "截至 {as_of} 的 {months} 个月内有 {n:,} 个客户下单，按 {features} 项购买行为特征进行细分；该期间没有订单的 {left:,} 个客户不参与细分。"},
    "sg_k_silhouette": {"en": "{k} segments: among {low} to {high}, this number separates customers best (mean silhouette {score:.2f}).",
                        "zh": "分为 {k} 个细分群体：在 {low} 到 {high} 个之间，该数目对客户的区分最好（平均轮廓系数 {score:.2f}）。"},
    "sg_k_bic": {"en": "{k} segments: among {low} to {high}, the mixture model with this number fits best for its size (lowest BIC).",
                 "zh": "分为 {k} 个细分群体：在 {low} 到 {high} 个之间，该数目的混合模型在兼顾复杂度时拟合最好（BIC 最低）。"},
    "sg_k_set": {"en": "{k} segments, as set in params/40_customer_segments.yaml.",
                 "zh": "按 params/40_customer_segments.yaml 的设定分为 {k} 个细分群体。"},
    "sg_top": {"en": "{name} is {share:.0%} of these customers and brings {revenue:.0%} of their revenue; {small} is {small_share:.0%} of them and brings {small_revenue:.1%}.",
               "zh": "{name}占这些客户的 {share:.0%}，贡献其收入的 {revenue:.0%}；{small}占 {small_share:.0%}，贡献 {small_revenue:.1%}。"},
    "sg_apart": {"en": "{name}: {traits}.", "zh": "{name}：{traits}。"},
    "sg_trait_high": {"en": "higher {feature} ({z:+.1f} SD)", "zh": "{feature}偏高（{z:+.1f} 个标准差）"},
    "sg_trait_low": {"en": "lower {feature} ({z:+.1f} SD)", "zh": "{feature}偏低（{z:+.1f} 个标准差）"},
    "sg_stability": {"en": "Over {b} bootstrap resamples, {stable} of the {k} segments are stable (mean Jaccard at least 0.75), {pattern} are patterns whose exact members are doubtful (0.6 to 0.75) and {unstable} should not be relied on (below 0.6).",
                     "zh": "在 {b} 次自助重抽样中，{k} 个细分群体里有 {stable} 个稳定（平均 Jaccard 不低于 0.75），{pattern} 个只是大致模式、具体成员存疑（0.6 至 0.75），{unstable} 个不可依赖（低于 0.6）。"},
    "sg_heatmap_title": {"en": "What sets the segments apart", "zh": "各细分群体的特征"},
    "sg_heatmap_note": {"en": "Segment mean, in standard deviations from the average customer", "zh": "群体均值（相对全体客户均值的标准差数）"},
    "sg_mix": {"en": "share of spend on {category}", "zh": "{category}支出占比"},
    # conjoint
    "cj_no_data": {"en": "The source has no conjoint tables (conjoint_design and conjoint_responses), so this analysis is left out. If the study is in other tables, name them under source.tables in params/base.yaml.",
                   "zh": "源数据中没有联合分析表（方案设计表与回答表），本分析从略。如研究数据在其他表中，请在 params/base.yaml 中指定。"},
    "cj_no_kind": {"en": "The responses hold no {kind} tasks, so this part is left out.", "zh": "回答中没有{kind}任务，此部分从略。"},
    "cj_design": {"en": "{respondents:,} respondents traded off {k} attributes with {levels} levels in all.",
                  "zh": "{respondents:,} 名受访者在 {k} 个属性（共 {levels} 个水平）之间做了权衡。"},
    "cj_importance": {"en": "In {tasks:,} choices, {top} weighs most ({share:.0%} of what decides a choice), then {second} ({second_share:.0%}); {last} weighs least ({last_share:.0%}). The model picks the chosen offer in {hit:.0%} of tasks (McFadden's R² {r2:.2f}).",
                      "zh": "在 {tasks:,} 次选择中，{top}的权重最大（占决定选择因素的 {share:.0%}），其次是{second}（{second_share:.0%}）；{last}最小（{last_share:.0%}）。模型在 {hit:.0%} 的任务中猜中了被选方案（McFadden R² {r2:.2f}）。"},
    "cj_wtp": {"en": "Customers would pay {wtp:.2f} {unit} more for {level} ({attribute}) than for {worst}, the most any level is worth to them; one {unit} more in price costs {per:.2f} in utility.",
               "zh": "与{worst}相比，客户愿为{level}（{attribute}）多付 {wtp:.2f} {unit}，是各水平中最高的；价格每提高 1 {unit}，效用下降 {per:.2f}。"},
    "cj_ratings": {"en": "Rated one by one, {top} weighs most ({share:.0%}); the median respondent's ratings fit their part-worths with R² {r2:.2f}.",
                   "zh": "逐个打分时，{top}的权重最大（{share:.0%}）；受访者评分与其个人效用值拟合的 R² 中位数为 {r2:.2f}。"},
    "cj_classes": {"en": "{k} preference classes: {largest} ({share:.0%} of respondents) weighs {largest_top} most, {other} ({other_share:.0%}) weighs {other_top} most.",
                   "zh": "受访者分为 {k} 个偏好类别：{largest}（{share:.0%}）最看重{largest_top}，{other}（{other_share:.0%}）最看重{other_top}。"},
    "cj_shares": {"en": "Among these offers, {top} would win {share:.0%} of choices (logit rule), and {first:.0%} of respondents would rate it first.",
                  "zh": "在这些方案中，{top}将赢得 {share:.0%} 的选择（logit 规则），并有 {first:.0%} 的受访者把它评为首选。"},
    "cj_shares_choice": {"en": "Among these offers, {top} would win {share:.0%} of choices (logit rule).",
                         "zh": "在这些方案中，{top}将赢得 {share:.0%} 的选择（logit 规则）。"},
    "cj_shares_rating": {"en": "Among these offers, {first:.0%} of respondents would rate {top} first.",
                         "zh": "在这些方案中，{first:.0%} 的受访者会把{top}评为首选。"},
    "cj_no_products": {"en": "No offers to simulate: describe them under conjoint.products in params/50_conjoint.yaml, each with a level of every attribute.",
                       "zh": "没有可模拟的方案：请在 params/50_conjoint.yaml 的 conjoint.products 中描述各方案的每个属性水平。"},
    "cj_axis": {"en": "Importance (%)", "zh": "重要性（%）"},
    "cj_title": {"en": "What decides a choice", "zh": "决定选择的因素"},
    # prospects and cross-sell
    "pr_model": {"en": "Trained on {n:,} customers, of whom {rate:.0%} are key accounts (the top {share:.0%} by revenue over {months} months), the model ranks companies by firmographics alone with a cross-validated AUC of {auc:.2f}: its top tenth holds {lift:.1f} times the average share of key accounts, and its top three tenths {captured:.0%} of them.",
                 "zh": "模型以 {n:,} 个客户训练（其中 {rate:.0%} 为大客户，即近 {months} 个月收入前 {share:.0%}），仅凭企业工商信息对企业排序，交叉验证 AUC 为 {auc:.2f}：得分最高的一成企业中大客户的比例是平均水平的 {lift:.1f} 倍，前三成覆盖了 {captured:.0%} 的大客户。"},
    "pr_prospects": {"en": "{above:,} of {n:,} prospects score above the customers' key-account rate of {rate:.0%}; the {top} listed below average {mean:.0%}.",
                     "zh": "{n:,} 个潜在客户中有 {above:,} 个得分高于现有客户的大客户比例 {rate:.0%}；下表所列前 {top} 个平均为 {mean:.0%}。"},
    "pr_no_prospects": {"en": "The source has no prospects table, so no prospects are scored. Name the table of companies that are not customers yet under source.tables.prospects in params/base.yaml.",
                        "zh": "源数据中没有潜在客户表，未对潜在客户评分。请在 params/base.yaml 中指定尚未成为客户的企业名单。"},
    "pr_no_firmographics": {"en": "The customers have no size, industry, region, employees, revenue or registration date, so there is nothing to tell key accounts by and no prospect is scored.",
                            "zh": "客户数据中没有规模、行业、区域、员工人数、营业收入或注册日期，无从识别大客户特征，未对潜在客户评分。"},
    "pr_rules": {"en": "Customers who buy {a} are {lift:.2f} times as likely as the average customer to buy {b} too ({confidence:.0%} of them do).",
                 "zh": "购买{a}的客户同时购买{b}的可能性是平均客户的 {lift:.2f} 倍（其中 {confidence:.0%} 已购买）。"},
    "pr_next": {"en": "{n:,} customers have a next category to offer; the most common suggestion is {top} ({count:,} customers).",
                "zh": "{n:,} 个客户有可推荐的下一个品类；最常见的推荐是{top}（{count:,} 个客户）。"},
    "pr_no_rules": {"en": "No pair of categories is bought together by at least {support:.0%} of customers, so there is no cross-sell rule to go by.",
                    "zh": "没有任何两个品类被至少 {support:.0%} 的客户同时购买，因此没有可依据的交叉销售规则。"},
    "pr_lift_title": {"en": "Key accounts per tenth of the score", "zh": "按得分十等分的大客户比例"},
    "pr_lift_axis": {"en": "Lift over the average (times)", "zh": "相对平均水平的提升（倍）"},
    "fa_scree_title": {"en": "Scree plot and parallel analysis", "zh": "碎石图与平行分析"},
    "fa_observed": {"en": "Survey answers", "zh": "问卷数据"},
    "fa_random": {"en": "Random data ({q:.0%} quantile)", "zh": "随机数据（{q:.0%} 分位数）"},
}


def t(key: str, language: str = "en", **values) -> str:
    """Return the report string ``key`` in ``language``, formatted with ``values``.

    Examples
    --------
    >>> t("notebooks_ok", "zh", ok=2, total=3)
    '3 个报告中 2 个成功'
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    try:
        text = STRINGS[key][language]
    except KeyError:
        raise KeyError(f"No report string '{key}' in custlab.i18n.STRINGS; add it in en and zh.") from None
    return text.format(**values) if values else text


def p_text(p: float) -> str:
    """A p-value as a sentence writes it: "p < 0.001" below that, else "p = 0.0234" (3 significant digits).

    >>> p_text(0.0), p_text(0.02341)
    ('p < 0.001', 'p = 0.0234')
    """
    return "p < 0.001" if p < 0.001 else f"p = {p:.3g}"


def register(strings: dict[str, dict[str, str]]) -> None:
    """Add module-specific strings (each module keeps its own next to its code)."""
    for key, texts in strings.items():
        missing = [lang for lang in LANGUAGES if lang not in texts]
        if missing:
            raise ValueError(f"Report string '{key}' lacks {missing}: give it in every language.")
        if key in STRINGS and STRINGS[key] != texts:
            raise ValueError(f"Report string '{key}' is defined twice with different texts.")
        STRINGS[key] = texts


#: table headers and common table values in reports (a name not listed is shown as it is)
LABELS: dict[str, dict[str, str]] = {
    "customers": {"en": "Customers", "zh": "客户数"}, "value": {"en": "Revenue (CNY)", "zh": "收入（元）"},
    "revenue": {"en": "Revenue (CNY)", "zh": "收入（元）"}, "customer_share": {"en": "Share of customers", "zh": "客户占比"},
    "value_share": {"en": "Share of revenue", "zh": "收入占比"}, "revenue_share": {"en": "Share of revenue", "zh": "收入占比"},
    "tier": {"en": "Tier", "zh": "价值层级"}, "group": {"en": "Group", "zh": "客户组"},
    "action": {"en": "Recommended action", "zh": "建议动作"}, "main_classes": {"en": "Main classes", "zh": "主要类别"},
    "main_tier": {"en": "Main tier", "zh": "主要层级"}, "mean_orders": {"en": "Orders (mean)", "zh": "平均订单数"},
    "mean_recency_days": {"en": "Days since last order (mean)", "zh": "距上次下单天数（均值）"},
    "size_class": {"en": "Size", "zh": "规模"}, "main_size_class": {"en": "Main size", "zh": "主要规模"}, "main_industry": {"en": "Main industry", "zh": "主要行业"},
    "main_region": {"en": "Main region", "zh": "主要区域"}, "main_tag_interaction": {"en": "Main interaction level", "zh": "主要互动水平"},
    "name": {"en": "Company", "zh": "企业名称"}, "contact": {"en": "Contact", "zh": "联系人"}, "phone": {"en": "Phone", "zh": "电话"},
    "orders_change": {"en": "Change in orders", "zh": "订单变化"}, "p_alive": {"en": "P(alive)", "zh": "存活概率"},
    "reason": {"en": "Reason", "zh": "原因"}, "customer_id": {"en": "Customer", "zh": "客户编号"},
    "input": {"en": "Input rows", "zh": "输入行数"}, "kept": {"en": "Kept", "zh": "保留"}, "merged": {"en": "Merged", "zh": "合并"},
    "quarantined": {"en": "Quarantined", "zh": "隔离"}, "balanced": {"en": "Balanced", "zh": "平衡"}, "table": {"en": "Table", "zh": "表"},
    "count": {"en": "Count", "zh": "数量"}, "records": {"en": "Records", "zh": "记录数"}, "rule": {"en": "Rule", "zh": "规则"},
    "scope": {"en": "Scope", "zh": "范围"}, "weight": {"en": "Weight", "zh": "权重"}, "criterion": {"en": "Criterion", "zh": "指标"},
    "key_account_index": {"en": "Key-account index", "zh": "大客户指数"}, "segment": {"en": "RFM segment", "zh": "RFM 客群"},
    "rfmai_class": {"en": "RFMAI class", "zh": "RFMAI 类别"}, "recency": {"en": "Recency (days)", "zh": "最近购买（天）"},
    "frequency": {"en": "Frequency", "zh": "购买频次"}, "monetary": {"en": "Monetary (CNY)", "zh": "消费金额（元）"},
    "present": {"en": "Present", "zh": "已填"}, "valid": {"en": "Valid", "zh": "有效"}, "invalid": {"en": "Invalid", "zh": "无效"},
    "missing": {"en": "Missing", "zh": "缺失"}, "level": {"en": "Level", "zh": "等级"}, "tag": {"en": "Tag", "zh": "标签"},
    "before": {"en": "Before", "zh": "上次"}, "now": {"en": "Now", "zh": "本次"},
    "credit_code": {"en": "credit code", "zh": "统一社会信用代码"}, "email": {"en": "e-mail", "zh": "邮箱"},
    "industry": {"en": "industry", "zh": "行业"}, "province": {"en": "province", "zh": "省份"}, "city": {"en": "city", "zh": "城市"},
    "employees": {"en": "employees", "zh": "员工人数"}, "annual_revenue": {"en": "annual revenue", "zh": "年营业收入"},
    "region": {"en": "region", "zh": "区域"}, "registered_date": {"en": "registration date", "zh": "注册日期"},
    "index": {"en": "Index", "zh": "指数"}, "offending_value": {"en": "Value", "zh": "值"},
    "value_before": {"en": "Before", "zh": "清洗前"}, "value_after": {"en": "After", "zh": "清洗后"},
    "column": {"en": "Column", "zh": "字段"}, "key": {"en": "Key", "zh": "主键"}, "row": {"en": "Row", "zh": "行号"},
    "score": {"en": "Score", "zh": "相似度"}, "survivor_id": {"en": "Kept record", "zh": "保留记录"},
    "merged_id": {"en": "Merged record", "zh": "被合并记录"}, "entity": {"en": "Entity", "zh": "实体"},
    "columns_taken": {"en": "Columns taken from the merged record", "zh": "取自被合并记录的字段"},
    "estimate": {"en": "Estimate", "zh": "估计值"}, "parameter": {"en": "Parameter", "zh": "参数"},
    "kind": {"en": "interaction kind", "zh": "互动类型"}, "exact_duplicates": {"en": "Repeated rows", "zh": "完全重复行"},
    "spelling": {"en": "Written as", "zh": "原文写法"}, "rows": {"en": "Rows", "zh": "行数"}, "status": {"en": "Status", "zh": "状态"},
    "channel": {"en": "Channel", "zh": "渠道"},
    "category": {"en": "Category", "zh": "品类"}, "amount": {"en": "amount", "zh": "金额"}, "product": {"en": "product", "zh": "产品"},
    "order_date": {"en": "order date", "zh": "下单日期"}, "order_id": {"en": "order number", "zh": "订单号"},
    "item": {"en": "Item", "zh": "题目"}, "factor": {"en": "Factor", "zh": "因子"}, "with": {"en": "With", "zh": "与"},
    "h2": {"en": "Communality (h2)", "zh": "共同度 (h2)"}, "u2": {"en": "Uniqueness (u2)", "zh": "特殊度 (u2)"},
    "complexity": {"en": "Complexity", "zh": "复杂度"}, "msa": {"en": "Sampling adequacy (MSA)", "zh": "取样适切性 (MSA)"},
    "alpha": {"en": "Cronbach's alpha", "zh": "Cronbach's α"}, "std_alpha": {"en": "Standardized alpha", "zh": "标准化 α"},
    "items": {"en": "Items", "zh": "所含题目"}, "n_items": {"en": "Number of items", "zh": "题目数"},
    "component": {"en": "Component", "zh": "成分"}, "eigenvalue": {"en": "Eigenvalue", "zh": "特征值"},
    "observed": {"en": "Survey answers", "zh": "问卷数据"}, "random": {"en": "Random data", "zh": "随机数据"},
    "proportion": {"en": "Share of variance", "zh": "方差占比"}, "cumulative": {"en": "Cumulative share", "zh": "累计方差占比"},
    "statistic": {"en": "Statistic", "zh": "统计量"},
    "satisfaction": {"en": "Satisfaction", "zh": "满意度"}, "loyalty": {"en": "Loyalty", "zh": "忠诚度"},
    "driver": {"en": "Driver", "zh": "驱动因素"}, "term": {"en": "Term", "zh": "项"},
    "lmg": {"en": "Relative importance (share of R²)", "zh": "相对重要性（R² 分解）"},
    "explained_share": {"en": "Share of explained variance", "zh": "占已解释方差"},
    "std_error": {"en": "Std. error", "zh": "标准误"}, "p_value": {"en": "p", "zh": "p 值"},
    "ci_low": {"en": "95% CI, low", "zh": "95% 置信下限"}, "ci_high": {"en": "95% CI, high", "zh": "95% 置信上限"},
    "beta": {"en": "Standardized beta", "zh": "标准化系数"}, "vif": {"en": "Variance inflation (VIF)", "zh": "方差膨胀因子"},
    "attribute": {"en": "Attribute", "zh": "属性"}, "part_worth": {"en": "Part-worth (utility)", "zh": "效用值"},
    "importance": {"en": "Importance", "zh": "重要性"}, "levels": {"en": "Levels", "zh": "水平"},
    "wtp": {"en": "Willingness to pay over the least liked level", "zh": "相对最不受欢迎水平的支付意愿"},
    "share": {"en": "Share of choices (logit)", "zh": "选择份额（logit）"}, "first_choice": {"en": "Rated first", "zh": "评为首选"},
    "utility": {"en": "Utility", "zh": "效用"}, "offer": {"en": "Offer", "zh": "方案"}, "respondents": {"en": "Respondents", "zh": "受访者"},
    "preference_class": {"en": "Preference class", "zh": "偏好类别"}, "z": {"en": "z", "zh": "z 值"},
    "decile": {"en": "Tenth of the score", "zh": "得分十等分"}, "companies": {"en": "Companies", "zh": "企业数"},
    "key_accounts": {"en": "Key accounts", "zh": "大客户数"}, "rate": {"en": "Key-account rate", "zh": "大客户比例"},
    "lift": {"en": "Lift", "zh": "提升度"}, "captured": {"en": "Key accounts captured (cumulative)", "zh": "累计覆盖大客户"},
    "propensity": {"en": "Chance of becoming a key account", "zh": "成为大客户的概率"}, "prospect_id": {"en": "Prospect", "zh": "潜在客户编号"},
    "antecedent": {"en": "Bought", "zh": "已购品类"}, "consequent": {"en": "Also buys", "zh": "同时购买"},
    "support": {"en": "Support", "zh": "支持度"}, "confidence": {"en": "Confidence", "zh": "置信度"},
    "next_category": {"en": "Next category", "zh": "推荐品类"}, "because": {"en": "Because they bought", "zh": "依据已购品类"},
    "coefficient": {"en": "Coefficient", "zh": "系数"}, "base_rate": {"en": "Key-account rate", "zh": "大客户比例"}, "auc": {"en": "AUC", "zh": "AUC"},
    "customer_segment": {"en": "Segment", "zh": "客户细分"}, "feature": {"en": "Feature", "zh": "特征"},
    "order_rate": {"en": "orders a month", "zh": "月均订单数"}, "order_value": {"en": "mean order value (CNY)", "zh": "平均订单金额（元）"},
    "trend": {"en": "order trend (second half against first)", "zh": "订单趋势（后半期对前半期）"},
    "interaction_rate": {"en": "interactions a month", "zh": "月均互动次数"}, "k": {"en": "Segments (k)", "zh": "群体数 (k)"},
    "silhouette": {"en": "Mean silhouette", "zh": "平均轮廓系数"}, "calinski_harabasz": {"en": "Calinski-Harabasz", "zh": "Calinski-Harabasz 指数"},
    "bic": {"en": "BIC", "zh": "BIC"}, "stability": {"en": "Stability (mean Jaccard)", "zh": "稳定性（平均 Jaccard）"},
    "stability_level": {"en": "Reading", "zh": "判读"},
    "SS loadings": {"en": "Sum of squared loadings", "zh": "载荷平方和"}, "Proportion Var": {"en": "Share of variance", "zh": "方差占比"},
    "Cumulative Var": {"en": "Cumulative share", "zh": "累计方差占比"},
}


#: values shown as row labels of report tables (tiers, groups, table names)
VALUES: dict[str, dict[str, str]] = {
    "high": {"en": "High", "zh": "高价值"},
    "medium": {"en": "Medium", "zh": "中价值"},
    "low": {"en": "Low", "zh": "低价值"},
    "high_at_risk": {"en": "High, at risk", "zh": "高价值·有流失风险"},
    "medium_at_risk": {"en": "Medium, at risk", "zh": "中价值·有流失风险"},
    "new": {"en": "New", "zh": "新增"},
    "gone": {"en": "Gone", "zh": "流失"},
    "customers": {"en": "customers", "zh": "客户"}, "orders": {"en": "orders", "zh": "订单"},
    "interactions": {"en": "interactions", "zh": "互动"}, "survey": {"en": "survey", "zh": "问卷"},
    "prospects": {"en": "prospects", "zh": "潜在客户"}, "conjoint_design": {"en": "conjoint design", "zh": "联合分析设计"},
    "conjoint_responses": {"en": "conjoint responses", "zh": "联合分析回答"},
    "present": {"en": "Present", "zh": "已填"}, "valid": {"en": "Valid", "zh": "有效"},
    "invalid": {"en": "Invalid", "zh": "无效"}, "missing": {"en": "Missing", "zh": "缺失"},
}


def _pairs(**entries: tuple[str, str]) -> dict[str, dict[str, str]]:
    return {key: {"en": en, "zh": zh} for key, (en, zh) in entries.items()}


#: key numbers the notebooks record, as the run's index page names them (others by their own name)
METRICS: dict[str, dict[str, str]] = _pairs(
    duplicates_merged=("Duplicate records merged", "合并的重复记录"),
    changes=("Values corrected or standardized", "纠正或统一的值"), followup=("Records to follow up", "待跟进记录"),
    credit_codes_invalid=("Invalid credit codes", "无效的统一社会信用代码"), key_accounts=("Key accounts", "大客户数"),
    key_account_revenue_share=("Key accounts' share of revenue", "大客户收入占比"),
    watchlist=("High-value customers at risk", "有流失风险的高价值客户"),
    revenue_at_risk=("Revenue at risk (CNY)", "风险收入（元）"),
    dropped_key_accounts=("Key accounts lost since the last run", "较上次减少的大客户"), rfmai_k=("RFMAI classes", "RFMAI 类别数"))


#: the reasons rows and values were quarantined or changed by the cleaning, and why a customer is watched
REASONS: dict[str, dict[str, str]] = {
    **{key.removeprefix("reason_"): texts for key, texts in STRINGS.items() if key.startswith("reason_")},
    **_pairs(future_registered_date=("registration after the analysis date", "注册日期晚于分析日期"),
             duplicate_customer_id=("repeated customer ids", "客户编号重复"), revenue_outlier=("implausible revenue", "营业收入异常"),
             zero_employees=("zero employees", "员工人数为 0"), unit_mistake=("unit mistake corrected", "单位错误已纠正"),
             city_standardized=("city name standardized", "城市名称已统一"),
             province_standardized=("province name standardized", "省份名称已统一"),
             industry_standardized=("industry mapped to GB/T 4754", "行业已归入国标门类"),
             industry_unmapped=("industry not recognised", "行业无法识别"), email_normalized=("e-mail normalized", "邮箱格式已规范"),
             phone_normalized=("phone normalized", "电话格式已规范"), missing_unknown=("missing", "缺失"),
             rule=("orders and interactions down", "订单与互动下滑"), orders=("orders down", "订单下滑"),
             bgnbd=("low P(alive)", "存活概率低"), **{"rule+bgnbd": ("both", "两者皆是"), "orders+bgnbd": ("both", "两者皆是")}),
}
_UNKNOWN = {"unknown": {"en": "Unknown", "zh": "未知"}, "未知": {"en": "Unknown", "zh": "未知"}}  # 未知: cleaning's default unknown_label
_SIZES = {**_pairs(large=("Large", "大型"), medium=("Medium", "中型"), small=("Small", "小型"), micro=("Micro", "微型")), **_UNKNOWN}
_LEVELS = {**_pairs(high=("High", "高"), medium=("Medium", "中"), low=("Low", "低"), dormant=("Dormant", "休眠"),
                    large=("Large", "大型"), small=("Small", "小型"), micro=("Micro", "微型")), **_UNKNOWN}
#: the criteria of the key-account index (table rows and columns)
CRITERIA: dict[str, dict[str, str]] = _pairs(
    purchase_volume=("Purchase volume", "采购金额"), purchase_frequency=("Purchase frequency", "采购频次"),
    revenue_volatility=("Revenue stability", "收入稳定性"), growth=("Growth", "增长"),
    relationship_days=("Relationship (days)", "合作时长（天）"), employees=("Employees", "员工人数"),
    annual_revenue=("Annual revenue", "年营业收入"), interactions=("Interactions", "互动次数"))

#: the values of a column or index level, by its name: a column not listed keeps its values as they are
COLUMN_VALUES: dict[str, dict[str, dict[str, str]]] = {
    "tier": VALUES, "main_tier": VALUES, "group": VALUES, "before": VALUES, "now": VALUES, "table": VALUES,
    "size_class": _SIZES, "main_size_class": _SIZES, "level": _LEVELS, "main_tag_interaction": _LEVELS,
    "main_tag_frequency": _LEVELS, "tag": _pairs(size=("Size", "规模"), frequency=("Purchase frequency", "采购频次"),
                                                 interaction=("Interaction", "互动水平")),
    "criterion": CRITERIA, "reason": REASONS, "scope": _pairs(row=("Row", "整行"), value=("Value", "单个值")),
    "column": LABELS,  # the field a quarantined or changed value was in
    "rule": _pairs(fuzzy=("similar name and details", "名称等信息相似")),  # and exact:<field>, see value_label
    "stability_level": _pairs(stable=("stable", "稳定"), pattern=("a pattern, members doubtful", "大致模式，成员存疑"),
                              unstable=("not to be relied on", "不可依赖")),
    "statistic": _pairs(kmo=("KMO", "KMO"), bartlett_chi2=("Bartlett's chi-square", "Bartlett 卡方"),
                        bartlett_df=("Bartlett's df", "Bartlett 自由度"), bartlett_p=("Bartlett's p", "Bartlett p 值"),
                        respondents=("Complete questionnaires", "完整问卷数"), r2=("R²", "R²"),
                        adj_r2=("Adjusted R²", "调整后 R²"), f_p_value=("F test p", "F 检验 p 值"),
                        tasks=("Choice tasks", "选择任务数"), loglik=("Log-likelihood", "对数似然"),
                        loglik_null=("Log-likelihood at zero", "零模型对数似然"), mcfadden_r2=("McFadden's R²", "McFadden R²"),
                        hit_rate=("Hit rate", "命中率"), base_rate=("Key-account rate", "大客户比例"), auc=("AUC (cross-validated)", "AUC（交叉验证）"), median_r2=("Median R²", "R² 中位数"), skipped=("Left out", "剔除")),
}
_YES_NO = {True: {"en": "Yes", "zh": "是"}, False: {"en": "No", "zh": "否"}}
#: in a (tag, level) table, the column whose values a tag's levels are: sizes read 大型/中型, other levels 高/中/低
TAG_LEVEL_COLUMN = {"size": "size_class"}


def value_label(column, value, language: str = "en"):
    """``value`` of ``column`` as a report shows it in ``language``: tiers, size classes, levels,
    reasons and yes/no are translated; other values are returned as they are."""
    if isinstance(value, bool) or type(value).__name__ in ("bool", "bool_"):  # numpy's too, without importing it
        return _YES_NO[bool(value)][language]
    if column == "rule" and isinstance(value, str) and value.startswith("exact:"):  # a duplicate-matching rule
        field = label(value.removeprefix("exact:"), language)
        return f"same {field}" if language == "en" else f"{field}相同"
    entry = COLUMN_VALUES.get(column, {}).get(value) if isinstance(value, str) else None
    return entry[language] if entry else value


def word(name, language: str = "en", table: dict | None = None):
    """:func:`label` for use inside a sentence: lower case in English (labels double as headers)."""
    text = label(name, language, table)
    return text.lower() if language == "en" and isinstance(text, str) else text


def label(name, language: str = "en", table: dict | None = None):
    """A table header (or, with ``table=VALUES``, a row label) in ``language``; names without a
    label are returned as they are."""
    entry = (LABELS if table is None else table).get(name) if isinstance(name, str) else None
    return entry[language] if entry else name
