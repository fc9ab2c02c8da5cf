import Foundation
import TallyCore

extension CampaignFormValues {
    /// The fields as the API's definition: every part given whole, so that an edit replaces the
    /// campaign's definition with what the form shows. A field the form cannot read (a word
    /// where a number goes, a date it cannot parse) is refused here with the part's own error
    /// code; everything else is left to the store's rules (`CampaignDefinition(validating:)`).
    func input(lang: ConsoleLanguage) throws -> CampaignInput {
        var input = CampaignInput()
        input.name = CampaignName(zh: Self.nonEmpty(nameZh), en: Self.nonEmpty(nameEn))
        input.timeZone = Self.nonEmpty(timeZone)
        if !startsAt.isEmpty || !endsAt.isEmpty {
            guard let zone = TimeZone(identifier: timeZone) else {
                throw StoreError(
                    .invalid, .invalidTimeZone,
                    lang("时区应为 IANA 时区名，例如 Asia/Shanghai。", "time_zone is an IANA time zone name, e.g. Asia/Shanghai"))
            }
            input.startsAt = try Self.time(startsAt, in: zone, field: lang("开始时间", "starts_at"), lang: lang)
            input.endsAt = try Self.time(endsAt, in: zone, field: lang("结束时间", "ends_at"), lang: lang)
        }
        input.priority = try Self.integer(priority, field: lang("优先级", "priority"), code: .invalidPriority, lang: lang) ?? 0
        input.exclusive = exclusive

        var conditions = CampaignConditions()
        conditions.skus = Self.items(skus)
        conditions.batches = try Self.items(batches).map { ids in
            try ids.map { id in
                guard let batch = Int64(id) else {
                    throw StoreError(.invalid, .unknownBatch, lang("批次填写批次编号（整数）：\(id)", "batches are batch ids (whole numbers): \(id)"))
                }
                return batch
            }
        }
        conditions.regions = Self.items(regions, separators: ",，、;；\n")
        conditions.channels = Self.items(channels)
        conditions.weekdays = weekdays.isEmpty ? nil : weekdays.sorted()
        if !hourFrom.isEmpty || !hourTo.isEmpty {
            conditions.hours = CampaignConditions.Hours(
                from: try Self.integer(hourFrom, field: lang("开始小时", "hours.from"), code: .invalidHours, lang: lang),
                to: try Self.integer(hourTo, field: lang("结束小时", "hours.to"), code: .invalidHours, lang: lang))
        }
        conditions.tiers = Self.items(tiers)
        conditions.segment = Self.nonEmpty(segment)
        conditions.lapsedDays = try Self.integer(lapsedDays, field: "lapsed_days", code: .invalidLapsedDays, lang: lang)
        if let n: Int = try Self.integer(nthN, field: "nth_claim.n", code: .invalidNthClaim, lang: lang) {
            conditions.nthClaim = CampaignConditions.NthClaim(n: n, every: nthEvery, within: nthWithin)
        }
        conditions.firstClaimOfProduct = firstClaimOfProduct ? true : nil
        conditions.awardsPerMember = try Self.integer(
            awardsPerMember, field: "awards_per_member", code: .invalidCondition, lang: lang)
        input.conditions = conditions

        // Only the chosen type's own field: the other types' fields keep what was typed, unused.
        var effect = CampaignEffect(type: Self.nonEmpty(self.effect))
        switch self.effect {
        case "bonus": effect.points = try Self.integer(bonusPoints, field: lang("奖励积分", "points"), code: .invalidBonus, lang: lang)
        case "multiplier": effect.factor = try Self.number(factor, field: lang("倍数", "factor"), code: .invalidMultiplier, lang: lang)
        case "voucher": effect.reward = Self.nonEmpty(voucherReward)
        case "draw": effect.prizes = try prizes.filter { !$0.isEmpty }.enumerated().map { try Self.prize($1, index: $0, lang: lang) }
        default: break
        }
        input.effect = effect

        var budget = CampaignBudget()
        budget.points = try Self.integer(budgetPoints, field: "budget.points", code: .invalidBudget, lang: lang)
        budget.awards = try Self.integer(budgetAwards, field: "budget.awards", code: .invalidBudget, lang: lang)
        budget.memberPointsPerDay = try Self.integer(
            memberPointsPerDay, field: "budget.member_points_per_day", code: .invalidBudget, lang: lang)
        budget.memberPointsPerWeek = try Self.integer(
            memberPointsPerWeek, field: "budget.member_points_per_week", code: .invalidBudget, lang: lang)
        budget.memberPoints = try Self.integer(memberPoints, field: "budget.member_points", code: .invalidBudget, lang: lang)
        budget.whenExhausted = whenExhausted
        input.budget = budget

        var limits = CampaignLimits()
        limits.awardsPerPhonePerDay = try Self.integer(limitPhone, field: "awards_per_phone_per_day", code: .invalidLimits, lang: lang)
        limits.awardsPerDevicePerDay = try Self.integer(limitDevice, field: "awards_per_device_per_day", code: .invalidLimits, lang: lang)
        limits.awardsPerIpPerDay = try Self.integer(limitIP, field: "awards_per_ip_per_day", code: .invalidLimits, lang: lang)
        input.limits = limits
        return input
    }

    private static func prize(_ row: Prize, index: Int, lang: ConsoleLanguage) throws -> CampaignPrize {
        let field = "prizes.\(index)"
        let name = row.nameZh.isEmpty && row.nameEn.isEmpty ? nil : CampaignName(zh: nonEmpty(row.nameZh), en: nonEmpty(row.nameEn))
        return CampaignPrize(
            key: nonEmpty(row.key), name: name,
            points: try integer(row.points, field: "\(field).points", code: .invalidPrize, lang: lang),
            reward: nonEmpty(row.reward),
            probability: try number(row.probability, field: "\(field).probability", code: .invalidProbability, lang: lang),
            stock: try integer(row.stock, field: "\(field).stock", code: .invalidPrizeStock, lang: lang))
    }

    static func nonEmpty(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// A list typed with commas (or, by default, spaces) between its entries; nil when empty.
    static func items(_ text: String, separators: String = ",，、;； \n\t") -> [String]? {
        let items = text.split(whereSeparator: { separators.contains($0) }).map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }.filter { !$0.isEmpty }
        return items.isEmpty ? nil : items
    }

    static func integer<T: FixedWidthInteger>(_ text: String, field: String, code: ErrorCode, lang: ConsoleLanguage) throws -> T? {
        guard let text = nonEmpty(text) else { return nil }
        guard let value = T(text) else {
            throw StoreError(.invalid, code, lang("\(field) 应为整数，而不是 \(text)", "\(field) is a whole number, not \(text)"))
        }
        return value
    }

    static func number(_ text: String, field: String, code: ErrorCode, lang: ConsoleLanguage) throws -> Double? {
        guard let text = nonEmpty(text) else { return nil }
        guard let value = Double(text), value.isFinite else {
            throw StoreError(.invalid, code, lang("\(field) 应为数字，例如 0.05，而不是 \(text)", "\(field) is a number such as 0.05, not \(text)"))
        }
        return value
    }

    /// A `datetime-local` value (`2027-01-28T08:00`, seconds optional; a space for the T too),
    /// in `zone`; nil when empty (the store says a window needs both ends).
    static func time(_ text: String, in zone: TimeZone, field: String, lang: ConsoleLanguage) throws -> Date? {
        guard let text = nonEmpty(text) else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.isLenient = false
        let normalised = text.replacingOccurrences(of: " ", with: "T")
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: normalised), formatter.string(from: date) == normalised { return date }
        }
        throw StoreError(
            .invalid, .invalidWindow,
            lang("\(field) 应写作 YYYY-MM-DD HH:MM，而不是 \(text)", "\(field) is written YYYY-MM-DD HH:MM, not \(text)"))
    }
}
