import TallyCore

/// The programme's edit form: its fields as typed, read into `Programme` (whose own rules the
/// store then checks, as the API's PUT does), and written back, values and all, when refused.
struct ProgrammeForm {
    /// Rows the form reads; more than `Programme.maxTiers`, so that too many is the store's refusal.
    static let maxRows = Programme.maxTiers + 10

    /// Field name → text as shown in the form.
    var values: [String: String]

    init(_ programme: Programme) {
        values = [
            "points_valid_months": String(programme.pointsValidMonths), "tier_window_months": String(programme.tierWindowMonths),
            "redemption_cancel_hours": String(programme.redemptionCancelHours),
        ]
        values["scan_retention_months"] = programme.scanRetentionMonths.map(String.init)
        for (index, tier) in programme.tiers.enumerated() {
            values["tier_name_\(index)"] = tier.name
            values["tier_min_\(index)"] = String(tier.minEarned)
        }
    }

    init(_ form: ConsoleFormBody) {
        values = [:]
        for name in ["points_valid_months", "tier_window_months", "redemption_cancel_hours", "scan_retention_months"] {
            values[name] = form[name]
        }
        for index in 0..<Self.maxRows {
            values["tier_name_\(index)"] = form["tier_name_\(index)"]
            values["tier_min_\(index)"] = form["tier_min_\(index)"]
        }
    }

    /// The rules typed; a field that is not a whole number, or a tier with a name and no points
    /// (or points and no name), is refused here, everything else by `ProgrammeStore.replace`.
    /// A form without the scan retention (posted before it existed) keeps the one in force.
    func programme(_ lang: ConsoleLanguage) throws -> Programme {
        func number(_ name: String, _ label: String, _ code: ErrorCode) throws -> Int {
            guard let text = values[name], let value = Int(text) else {
                throw StoreError(.invalid, code, lang("\(label)须为整数。", "\(label) must be a whole number."))
            }
            return value
        }
        var tiers: [Programme.Tier] = []
        for index in 0..<Self.maxRows {
            let name = values["tier_name_\(index)"]
            let minimum = values["tier_min_\(index)"]
            if name == nil && minimum == nil { continue }
            guard let name, let minimum else {
                throw StoreError(
                    .invalid, .invalidTiers,
                    lang("第 \(index + 1) 行等级须同时填写名称和积分门槛。", "Tier row \(index + 1) needs both a name and its points."))
            }
            guard let points = Int64(minimum) else {
                throw StoreError(
                    .invalid, .invalidTiers, lang("等级 \(name) 的积分门槛须为整数。", "Tier \(name): the points must be a whole number."))
            }
            tiers.append(.init(name: name, minEarned: points))
        }
        return Programme(
            pointsValidMonths: try number("points_valid_months", lang("积分有效期", "Points valid for"), .invalidPointsValidMonths),
            tierWindowMonths: try number("tier_window_months", lang("等级计算周期", "Tier window"), .invalidTierWindowMonths),
            redemptionCancelHours: try number(
                "redemption_cancel_hours", lang("兑换可撤销时长", "Redemption cancel window"), .invalidRedemptionCancelHours),
            tiers: tiers,
            scanRetentionMonths: values["scan_retention_months"] == nil
                ? nil
                : try number(
                    "scan_retention_months", lang("扫码记录保留时长", "Scans kept for"), .invalidScanRetentionMonths))
    }

    /// The form, posting to /console/programme.
    func html(csrf: String, lang: ConsoleLanguage) -> HTML {
        let filled = (0..<Self.maxRows).last { values["tier_name_\($0)"] != nil || values["tier_min_\($0)"] != nil } ?? -1
        let rows = min(max(filled + 1 + 3, 3), Self.maxRows)
        var tierRows: HTML = ""
        for index in 0..<rows {
            tierRows += """
                <tr><th scope="row">\(index + 1)</th>\
                <td><input name="tier_name_\(index)" value="\(values["tier_name_\(index)"] ?? "")" \
                pattern="[a-z][a-z0-9_]{0,31}" aria-label="\(lang("第 \(index + 1) 级名称", "Tier \(index + 1) name"))"></td>\
                <td><input name="tier_min_\(index)" value="\(values["tier_min_\(index)"] ?? "")" \
                inputmode="numeric" aria-label="\(lang("第 \(index + 1) 级积分门槛", "Tier \(index + 1) points"))"></td></tr>
                """
        }
        return """
            <form class="card" method="post" action="/console/programme">
            \(ConsoleForm.csrfField(csrf))
            <h2>\(lang("修改规则", "Change the rules"))</h2>
            <div class="grid">
            \(ConsoleForm.field(lang("积分有效期（月，0 为永不过期）", "Points valid for (months, 0: never expire)"), name: "points_valid_months", value: values["points_valid_months"], type: "number", required: true, extra: "min=\"0\" max=\"120\""))
            \(ConsoleForm.field(lang("等级计算周期（月）", "Tier window (months)"), name: "tier_window_months", value: values["tier_window_months"], type: "number", required: true, extra: "min=\"1\" max=\"60\""))
            \(ConsoleForm.field(lang("兑换可撤销时长（小时）", "Redemptions may be cancelled for (hours)"), name: "redemption_cancel_hours", value: values["redemption_cancel_hours"], type: "number", required: true, extra: "min=\"0\" max=\"8760\""))
            \(ConsoleForm.field(lang("扫码记录保留（整月，0 为永久保留）", "Raw scans kept for (whole months, 0: forever)"), name: "scan_retention_months", value: values["scan_retention_months"], type: "number", required: true, extra: "min=\"0\" max=\"\(Programme.maxScanRetentionMonths)\""))
            </div>
            <div class="table"><table><caption>\(lang("等级（名称：小写字母、数字或 _；门槛：周期内获得的积分；留空的行不计）",
                "Tiers (name: lower-case letters, digits or _; points: earned within the window; empty rows are left out)"))</caption>
            <thead><tr><th scope="col">#</th><th scope="col">\(lang("名称", "Name"))</th><th scope="col">\(lang("积分门槛", "Points"))</th></tr></thead>
            <tbody>\(tierRows)</tbody></table></div>
            <p><button type="submit">\(lang("保存", "Save"))</button></p>
            </form>
            """
    }
}
