import Foundation

/// A campaign's definition checked against every rule that needs no database
/// (`CampaignRules`): one version's typed columns (campaign_versions, campaign_prizes), with
/// products and rewards still named by SKU. `CampaignStore` checks what does need it (the time
/// zone, and that the SKUs, batches, tiers and rewards exist) in the transaction that stores it.
struct CampaignDefinition: Sendable, Equatable {
    struct Prize: Sendable, Equatable {
        var key: String
        var nameZh: String
        var nameEn: String
        var points: Int64?
        var rewardSKU: String?
        /// The prize's share of a million tickets.
        var probabilityPPM: Int
        var stock: Int64
    }

    var nameZh: String
    var nameEn: String
    var startsAt: Date
    var endsAt: Date
    var timeZone: String
    var priority: Int
    var exclusive: Bool

    var productSKUs: [String]?
    var batchIDs: [Int64]?
    var regions: [String]?
    var channels: [String]?
    var weekdays: [Int]?
    var hourFrom: Int?
    var hourTo: Int?
    var tiers: [String]?
    var segment: String?
    var lapsedDays: Int?
    var nthClaim: Int?
    var nthEvery: Bool
    var nthWithin: String
    var firstOfProduct: Bool
    var awardsPerMember: Int?

    var effect: String
    var bonusPoints: Int64?
    var multiplier: Double?
    var voucherSKU: String?
    var prizes: [Prize]

    var budgetPoints: Int64?
    var budgetAwards: Int64?
    var memberPointsPerDay: Int64?
    var memberPointsPerWeek: Int64?
    var memberPoints: Int64?
    var whenExhausted: String

    var awardsPerPhonePerDay: Int?
    var awardsPerDevicePerDay: Int?
    var awardsPerIPPerDay: Int?
}

extension CampaignDefinition {
    /// `input` checked whole; the first rule it breaks is thrown as a 422 `StoreError`.
    init(validating input: CampaignInput) throws {
        let name = try CampaignRules.name(input.name, field: "name")
        (nameZh, nameEn) = (name.zh, name.en)
        guard let startsAt = input.startsAt, let endsAt = input.endsAt else {
            throw StoreError(.invalid, .invalidWindow, "a campaign needs starts_at and ends_at")
        }
        guard endsAt > startsAt else { throw StoreError(.invalid, .invalidWindow, "ends_at must be later than starts_at") }
        (self.startsAt, self.endsAt) = (startsAt, endsAt)
        timeZone = try CampaignRules.timeZoneName(input.timeZone)
        priority = input.priority ?? 0
        guard CampaignRules.priorities.contains(priority) else {
            throw StoreError(.invalid, .invalidPriority, "priority is -1000 to 1000 (higher applies first)")
        }
        exclusive = input.exclusive ?? false

        let conditions = input.conditions ?? CampaignConditions()
        productSKUs = try CampaignRules.skus(conditions.skus)
        batchIDs = try CampaignRules.batches(conditions.batches)
        regions = try CampaignRules.regions(conditions.regions)
        channels = try CampaignRules.channels(conditions.channels)
        weekdays = try CampaignRules.weekdays(conditions.weekdays)
        (hourFrom, hourTo) = try CampaignRules.hours(conditions.hours)
        tiers = try CampaignRules.tiers(conditions.tiers)
        (segment, lapsedDays) = try CampaignRules.segment(conditions.segment, lapsedDays: conditions.lapsedDays)
        (nthClaim, nthEvery, nthWithin) = try CampaignRules.nthClaim(conditions.nthClaim)
        firstOfProduct = conditions.firstClaimOfProduct ?? false
        awardsPerMember = conditions.awardsPerMember
        if let awards = awardsPerMember, !CampaignRules.counts.contains(awards) {
            throw StoreError(.invalid, .invalidCondition, "awards_per_member is 1 to \(CampaignRules.counts.upperBound)")
        }

        guard let effect = input.effect else {
            throw StoreError(.invalid, .invalidEffect, "a campaign needs an effect: bonus, multiplier, voucher or draw")
        }
        self.effect = effect.type ?? ""
        try CampaignRules.effectFields(effect)
        (bonusPoints, multiplier, voucherSKU, prizes) = (nil, nil, nil, [])
        switch effect.type {
        case "bonus": bonusPoints = try CampaignRules.bonus(effect.points)
        case "multiplier": multiplier = try CampaignRules.multiplier(effect.factor)
        case "voucher": voucherSKU = try CampaignRules.reward(effect.reward, field: "the voucher's reward")
        case "draw": prizes = try CampaignRules.prizes(effect.prizes)
        default: throw StoreError(.invalid, .invalidEffect, "effect.type is bonus, multiplier, voucher or draw")
        }

        let budget = input.budget ?? CampaignBudget()
        budgetPoints = try CampaignRules.budget(budget.points, field: "budget.points")
        budgetAwards = try CampaignRules.budget(budget.awards, field: "budget.awards")
        memberPointsPerDay = try CampaignRules.budget(budget.memberPointsPerDay, field: "budget.member_points_per_day")
        memberPointsPerWeek = try CampaignRules.budget(budget.memberPointsPerWeek, field: "budget.member_points_per_week")
        memberPoints = try CampaignRules.budget(budget.memberPoints, field: "budget.member_points")
        whenExhausted = budget.whenExhausted ?? "stop"
        guard ["stop", "base_only"].contains(whenExhausted) else {
            throw StoreError(.invalid, .invalidBudget, "budget.when_exhausted is stop or base_only")
        }

        let limits = input.limits ?? CampaignLimits()
        awardsPerPhonePerDay = try CampaignRules.limit(limits.awardsPerPhonePerDay, field: "awards_per_phone_per_day")
        awardsPerDevicePerDay = try CampaignRules.limit(limits.awardsPerDevicePerDay, field: "awards_per_device_per_day")
        awardsPerIPPerDay = try CampaignRules.limit(limits.awardsPerIpPerDay, field: "awards_per_ip_per_day")
    }

    /// The definition as the API shows it (and as a change is applied to).
    var input: CampaignInput {
        var input = CampaignInput()
        input.name = CampaignName(zh: nameZh, en: nameEn)
        (input.startsAt, input.endsAt, input.timeZone) = (startsAt, endsAt, timeZone)
        (input.priority, input.exclusive) = (priority, exclusive)
        var conditions = CampaignConditions()
        (conditions.skus, conditions.batches, conditions.regions, conditions.channels) = (productSKUs, batchIDs, regions, channels)
        conditions.weekdays = weekdays
        conditions.hours = hourFrom.map { CampaignConditions.Hours(from: $0, to: hourTo) }
        (conditions.tiers, conditions.segment, conditions.lapsedDays) = (tiers, segment, lapsedDays)
        conditions.nthClaim = nthClaim.map { CampaignConditions.NthClaim(n: $0, every: nthEvery, within: nthWithin) }
        conditions.firstClaimOfProduct = firstOfProduct ? true : nil
        conditions.awardsPerMember = awardsPerMember
        input.conditions = conditions
        input.effect = CampaignEffect(
            type: effect, points: bonusPoints, factor: multiplier, reward: voucherSKU,
            prizes: effect == "draw"
                ? prizes.map { prize in
                    CampaignPrize(
                        key: prize.key, name: CampaignName(zh: prize.nameZh, en: prize.nameEn), points: prize.points,
                        reward: prize.rewardSKU, probability: Double(prize.probabilityPPM) / 1_000_000, stock: prize.stock)
                } : nil)
        var budget = CampaignBudget()
        (budget.points, budget.awards) = (budgetPoints, budgetAwards)
        (budget.memberPointsPerDay, budget.memberPointsPerWeek, budget.memberPoints) = (
            memberPointsPerDay, memberPointsPerWeek, memberPoints
        )
        budget.whenExhausted = whenExhausted
        input.budget = budget
        var limits = CampaignLimits()
        (limits.awardsPerPhonePerDay, limits.awardsPerDevicePerDay, limits.awardsPerIpPerDay) =
            (awardsPerPhonePerDay, awardsPerDevicePerDay, awardsPerIPPerDay)
        input.limits = limits
        return input
    }

    /// The budgets kept in campaign_budgets, by name, with their totals (nil: none).
    var budgetTotals: [String: Int64?] {
        var totals: [String: Int64?] = ["points": budgetPoints, "awards": budgetAwards]
        for prize in prizes { totals["prize:\(prize.key)"] = prize.stock }
        return totals
    }
}
