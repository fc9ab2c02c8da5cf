import Foundation
import TallyCore

extension CampaignFormValues {
    /// The editor form posting to `action`: every part of a campaign as fields, prizes as
    /// repeating rows (empty rows to fill, and a button that adds more where script runs).
    func html(action: String, csrf: String, submit: String, lang: ConsoleLanguage) -> HTML {
        func field(_ label: String, _ name: String, _ value: String, type: String = "text", extra: String = "") -> HTML {
            ConsoleForm.field(label, name: name, value: value, type: type, extra: extra)
        }
        func checkbox(_ label: String, _ name: String, _ checked: Bool) -> HTML {
            let state: HTML = checked ? " checked" : ""
            return "<label class=\"check\"><input type=\"checkbox\" name=\"\(name)\" value=\"on\"\(state)> \(label)</label>"
        }
        let whole = "inputmode=\"numeric\""
        let weekdayNames = [
            lang("周一", "Mon"), lang("周二", "Tue"), lang("周三", "Wed"), lang("周四", "Thu"), lang("周五", "Fri"), lang("周六", "Sat"),
            lang("周日", "Sun"),
        ]
        var weekdayBoxes: HTML = ""
        for (index, day) in weekdayNames.enumerated() {
            weekdayBoxes += checkbox(day, "weekday_\(index + 1)", weekdays.contains(index + 1))
        }
        var prizeRows: HTML = ""
        let rows = prizes + Array(repeating: Prize(), count: Self.emptyPrizeRows)
        for (index, prize) in rows.enumerated() {
            prizeRows += Self.prizeRow(prize, index: index, lang: lang)
        }
        return """
            <form method="post" action="\(action)" class="campaign-form" novalidate>
            \(ConsoleForm.csrfField(csrf))
            <fieldset class="card"><legend>\(lang("名称与时间", "Name and window"))</legend><div class="grid">
            \(field(lang("中文名称", "Name (Chinese)"), "name_zh", nameZh, extra: "maxlength=\"100\""))
            \(field(lang("英文名称", "Name (English)"), "name_en", nameEn, extra: "maxlength=\"100\""))
            \(field(lang("开始时间", "Starts at"), "starts_at", startsAt, type: "datetime-local", extra: "step=\"1\""))
            \(field(lang("结束时间（不含）", "Ends at (exclusive)"), "ends_at", endsAt, type: "datetime-local", extra: "step=\"1\""))
            \(field(lang("时区", "Time zone"), "time_zone", timeZone, extra: "placeholder=\"Asia/Shanghai\""))
            \(field(lang("优先级（-1000 至 1000，高者先）", "Priority (-1000 to 1000, higher first)"), "priority", priority, extra: whole))
            \(checkbox(lang("独占（不与其他活动叠加）", "Exclusive (does not stack with others)"), "exclusive", exclusive))
            </div></fieldset>
            <fieldset class="card"><legend>\(lang("条件（均可不填；填写的都须满足）", "Conditions (all optional; all given must hold)"))</legend>
            <p class="hint">\(lang("列表用逗号分隔。", "Separate list entries with commas."))</p><div class="grid">
            \(field(lang("商品 SKU", "Product SKUs"), "skus", skus, extra: "placeholder=\"RICE-5KG, OIL-1L\""))
            \(field(lang("批次编号", "Batch ids"), "batches", batches))
            \(field(lang("地区（批次的）", "Regions (the batch's)"), "regions", regions))
            \(field(lang("渠道", "Channels"), "channels", channels, extra: "placeholder=\"web, wechat_unionid\""))
            \(field(lang("会员等级", "Member tiers"), "tiers", tiers))
            \(field(lang("开始小时（0–23）", "From hour (0–23)"), "hour_from", hourFrom, extra: whole))
            \(field(lang("结束小时（1–24，不含）", "To hour (1–24, exclusive)"), "hour_to", hourTo, extra: whole))
            \(ConsoleForm.select(
                lang("会员分群", "Segment"), name: "segment",
                options: [
                    ("", lang("不限", "Any")), ("new", lang("首次领取", "New: first claim ever")),
                    ("returning", lang("回头客", "Returning")), ("lapsed", lang("流失（N 天未领取）", "Lapsed (N days without a claim)")),
                ], selected: segment))
            \(field(lang("流失天数", "Lapsed days"), "lapsed_days", lapsedDays, extra: whole))
            \(field(lang("第 N 次领取", "Nth claim"), "nth_n", nthN, extra: whole))
            \(checkbox(lang("每第 N 次（而非恰好第 N 次）", "Every Nth (not exactly the Nth)"), "nth_every", nthEvery))
            \(ConsoleForm.select(
                lang("N 的计数范围", "Nth counted"), name: "nth_within",
                options: [("overall", lang("全部领取", "over all claims")), ("campaign", lang("活动开始以来", "since the campaign began"))],
                selected: nthWithin))
            \(checkbox(lang("会员首次领取该商品", "Member's first claim of the product"), "first_claim_of_product", firstClaimOfProduct))
            \(field(lang("每位会员最多获奖次数", "Awards per member"), "awards_per_member", awardsPerMember, extra: whole))
            </div>
            <fieldset><legend>\(lang("星期（不选为每天）", "Weekdays (none ticked: every day)"))</legend><div class="checks">\(weekdayBoxes)</div></fieldset>
            </fieldset>
            <fieldset class="card"><legend>\(lang("奖励", "Effect"))</legend><div class="grid">
            \(ConsoleForm.select(
                lang("奖励类型", "Type"), name: "effect",
                options: [
                    ("bonus", lang("固定奖励积分", "Fixed bonus")), ("multiplier", lang("积分倍数", "Multiplier of the base points")),
                    ("voucher", lang("礼品券", "Reward voucher")), ("draw", lang("即时抽奖", "Instant-win draw")),
                ], selected: effect))
            \(field(lang("奖励积分（固定奖励）", "Bonus points (bonus)"), "bonus_points", bonusPoints, extra: whole))
            \(field(lang("倍数（积分倍数，如 2 或 1.5）", "Factor (multiplier, e.g. 2 or 1.5)"), "factor", factor, extra: "inputmode=\"decimal\""))
            \(field(lang("礼品 SKU（礼品券）", "Reward SKU (voucher)"), "voucher_reward", voucherReward))
            </div>
            <fieldset class="prizes"><legend>\(lang("奖品（即时抽奖）：每行积分或礼品二选一；空行忽略", "Prizes (draw): points or a reward per row; empty rows are ignored"))</legend>
            <div id="prize-rows">\(prizeRows)</div>
            <button type="button" class="secondary" id="add-prize" hidden>\(lang("添加奖品行", "Add a prize row"))</button>
            </fieldset>
            </fieldset>
            <fieldset class="card"><legend>\(lang("预算与限制（不填为不限）", "Budgets and limits (empty: unlimited)"))</legend><div class="grid">
            \(field(lang("总积分预算", "Points budget"), "budget_points", budgetPoints, extra: whole))
            \(field(lang("总获奖次数预算", "Awards budget"), "budget_awards", budgetAwards, extra: whole))
            \(field(lang("每位会员每天积分", "Points per member per day"), "member_points_per_day", memberPointsPerDay, extra: whole))
            \(field(lang("每位会员每周积分", "Points per member per week"), "member_points_per_week", memberPointsPerWeek, extra: whole))
            \(field(lang("每位会员活动内积分", "Points per member in all"), "member_points", memberPoints, extra: whole))
            \(ConsoleForm.select(
                lang("预算用尽时", "When a budget runs out"), name: "when_exhausted",
                options: [("stop", lang("停止奖励（让位于其他活动）", "Stop awarding (step aside)")), ("base_only", lang("只给基础积分", "Base points only"))],
                selected: whenExhausted))
            \(field(lang("每个手机号每天获奖次数", "Awards per phone per day"), "limit_phone", limitPhone, extra: whole))
            \(field(lang("每台设备每天获奖次数", "Awards per device per day"), "limit_device", limitDevice, extra: whole))
            \(field(lang("每个 IP 每天获奖次数", "Awards per IP address per day"), "limit_ip", limitIP, extra: whole))
            </div></fieldset>
            <p><button type="submit">\(submit)</button></p>
            </form>
            \(HTML(trusted: Self.addPrizeScript))
            """
    }

    /// One prize row, `prize_<index>_<field>`.
    static func prizeRow(_ prize: Prize, index: Int, lang: ConsoleLanguage) -> HTML {
        func field(_ label: String, _ name: String, _ value: String, extra: String = "") -> HTML {
            ConsoleForm.field(label, name: "prize_\(index)_\(name)", value: value, extra: extra)
        }
        return """
            <fieldset class="prize grid" data-index="\(index)"><legend>\(lang("奖品", "Prize")) \(index + 1)</legend>
            \(field(lang("键（小写字母数字）", "Key (lower-case)"), "key", prize.key, extra: "placeholder=\"pot\""))
            \(field(lang("中文名", "Name (Chinese)"), "name_zh", prize.nameZh))
            \(field(lang("英文名", "Name (English)"), "name_en", prize.nameEn))
            \(field(lang("积分", "Points"), "points", prize.points, extra: "inputmode=\"numeric\""))
            \(field(lang("或礼品 SKU", "or reward SKU"), "reward", prize.reward))
            \(field(lang("中奖概率（0–1）", "Probability (0–1)"), "probability", prize.probability, extra: "inputmode=\"decimal\" placeholder=\"0.001\""))
            \(field(lang("库存", "Stock"), "stock", prize.stock, extra: "inputmode=\"numeric\""))
            </fieldset>
            """
    }

    /// Adds a prize row by copying the last one emptied, with the next index; without script
    /// the button stays hidden and the empty rows already shown are the way to add prizes.
    static let addPrizeScript = """
        <script>
        (function () {
          var button = document.getElementById('add-prize');
          var rows = document.getElementById('prize-rows');
          if (!button || !rows) return;
          button.hidden = false;
          button.addEventListener('click', function () {
            var last = rows.lastElementChild;
            var index = rows.children.length;
            if (index >= \(maxPrizeRows)) return;
            var copy = last.cloneNode(true);
            copy.setAttribute('data-index', String(index));
            copy.querySelector('legend').textContent = copy.querySelector('legend').textContent.replace(/\\d+$/, String(index + 1));
            copy.querySelectorAll('input').forEach(function (input) {
              input.name = input.name.replace(/^prize_\\d+_/, 'prize_' + index + '_');
              input.value = '';
            });
            rows.appendChild(copy);
            copy.querySelector('input').focus();
          });
        })();
        </script>
        """
}
