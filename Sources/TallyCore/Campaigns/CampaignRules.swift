/// The rules of a campaign's definition that need no database, one function per part, each
/// refusing with the part's own 422 code (`CampaignDefinition(validating:)` calls them in order).
enum CampaignRules {
    static let priorities = -1000...1000
    /// Awards per member, and the abuse limits per day.
    static let counts = 1...1_000_000
    static let budgets: ClosedRange<Int64> = 1...1_000_000_000_000
    static let bonuses: ClosedRange<Int64> = 1...100_000_000
    static let stocks: ClosedRange<Int64> = 1...1_000_000_000
    static let maxListed = 1000
    static let maxRegions = 100
    static let maxChannels = 20
    static let maxTiers = 20
    static let maxPrizes = 50

    /// A name in both languages, each 1 to 100 characters without control characters.
    static func name(_ name: CampaignName?, field: String) throws -> (zh: String, en: String) {
        guard let zh = name?.zh, let en = name?.en else {
            throw StoreError(.invalid, .invalidName, "\(field) has zh and en, each 1 to 100 characters")
        }
        try TextRules.check(zh, field: "\(field).zh", invalid: .invalidName, lengths: 1...100)
        try TextRules.check(en, field: "\(field).en", invalid: .invalidName, lengths: 1...100)
        return (zh, en)
    }

    /// A time zone's name as the IANA database writes it (`Asia/Shanghai`, `UTC`); whether the
    /// database knows it is `CampaignStore`'s check.
    static func timeZoneName(_ name: String?) throws -> String {
        guard let name, name.wholeMatch(of: /[A-Za-z][A-Za-z0-9_+\/-]{0,63}/) != nil else {
            throw StoreError(.invalid, .invalidTimeZone, "time_zone is an IANA time zone name, e.g. Asia/Shanghai")
        }
        return name
    }

    static func skus(_ skus: [String]?) throws -> [String]? {
        guard let skus else { return nil }
        try list(skus, field: "skus", most: maxListed)
        for sku in skus where !SKU.isValid(sku) {
            throw StoreError(.invalid, .unknownProduct, "skus: no product has the SKU \(sku)")
        }
        return skus
    }

    static func batches(_ batches: [Int64]?) throws -> [Int64]? {
        guard let batches else { return nil }
        try list(batches, field: "batches", most: maxListed)
        for batch in batches where batch < 1 {
            throw StoreError(.invalid, .unknownBatch, "batches: there is no batch \(batch)")
        }
        return batches
    }

    /// Regions as batches write them: 1 to 64 characters without control characters.
    static func regions(_ regions: [String]?) throws -> [String]? {
        guard let regions else { return nil }
        try list(regions, field: "regions", most: maxRegions)
        for region in regions { try TextRules.check(region, field: "each region", invalid: .invalidRegion, lengths: 1...64) }
        return regions
    }

    /// Channels by the `ChannelName` rule.
    static func channels(_ channels: [String]?) throws -> [String]? {
        guard let channels else { return nil }
        guard (1...maxChannels).contains(channels.count), Set(channels).count == channels.count else {
            throw StoreError(
                .invalid, .invalidChannels, "channels lists 1 to \(maxChannels) distinct channels; leave it out for every channel")
        }
        guard channels.allSatisfy({ ChannelName(rawValue: $0) != nil }) else {
            throw StoreError(.invalid, .invalidChannels, "each channel is 2 to 32 lower-case letters, digits or _, starting with a letter")
        }
        return channels
    }

    static func weekdays(_ days: [Int]?) throws -> [Int]? {
        guard let days else { return nil }
        guard !days.isEmpty, days.allSatisfy({ (1...7).contains($0) }), Set(days).count == days.count else {
            throw StoreError(
                .invalid, .invalidWeekdays, "weekdays lists distinct days from 1 (Monday) to 7 (Sunday); leave it out for every day")
        }
        return days
    }

    static func hours(_ hours: CampaignConditions.Hours?) throws -> (from: Int?, to: Int?) {
        guard let hours else { return (nil, nil) }
        guard let from = hours.from, let to = hours.to, (0...23).contains(from), (1...24).contains(to), from != to else {
            throw StoreError(
                .invalid, .invalidHours,
                "hours has from (0 to 23) and to (1 to 24), not equal; local hours [from, to), over midnight when from > to")
        }
        return (from, to)
    }

    /// Tier names; a name that breaks the tier rule names no tier.
    static func tiers(_ tiers: [String]?) throws -> [String]? {
        guard let tiers else { return nil }
        try list(tiers, field: "tiers", most: maxTiers)
        for tier in tiers where !Programme.Tier.isValidName(tier) {
            throw StoreError(.invalid, .unknownTier, "tiers: the programme has no tier \(tier)")
        }
        return tiers
    }

    static func segment(_ segment: String?, lapsedDays: Int?) throws -> (segment: String?, lapsedDays: Int?) {
        if let segment, !["new", "returning", "lapsed"].contains(segment) {
            throw StoreError(.invalid, .invalidSegment, "segment is new, returning or lapsed")
        }
        if segment == "lapsed" {
            guard let days = lapsedDays, (1...3650).contains(days) else {
                throw StoreError(.invalid, .invalidLapsedDays, "segment lapsed needs lapsed_days, 1 to 3650")
            }
        } else if lapsedDays != nil {
            throw StoreError(.invalid, .invalidLapsedDays, "lapsed_days goes only with segment lapsed")
        }
        return (segment, lapsedDays)
    }

    static func nthClaim(_ nth: CampaignConditions.NthClaim?) throws -> (n: Int?, every: Bool, within: String) {
        guard let nth else { return (nil, false, "overall") }
        guard let n = nth.n, (1...100_000).contains(n) else {
            throw StoreError(.invalid, .invalidNthClaim, "nth_claim.n is 1 to 100000")
        }
        let within = nth.within ?? "overall"
        guard within == "overall" || within == "campaign" else {
            throw StoreError(.invalid, .invalidNthClaim, "nth_claim.within is overall or campaign")
        }
        return (n, nth.every ?? false, within)
    }

    /// Each effect type takes its own field only: `points` (bonus), `factor` (multiplier),
    /// `reward` (voucher), `prizes` (draw).
    static func effectFields(_ effect: CampaignEffect) throws {
        let own = ["bonus": "points", "multiplier": "factor", "voucher": "reward", "draw": "prizes"]
        guard let type = effect.type, let field = own[type] else {
            throw StoreError(.invalid, .invalidEffect, "effect.type is bonus, multiplier, voucher or draw")
        }
        let sent = [
            ("points", effect.points != nil), ("factor", effect.factor != nil), ("reward", effect.reward != nil),
            ("prizes", effect.prizes != nil),
        ]
        if let (foreign, _) = sent.first(where: { $0.1 && $0.0 != field }) {
            throw StoreError(.invalid, .invalidEffect, "a \(type) effect takes \(field), not \(foreign)")
        }
    }

    static func bonus(_ points: Int64?) throws -> Int64 {
        guard let points, bonuses.contains(points) else {
            throw StoreError(.invalid, .invalidBonus, "a bonus effect has points, 1 to \(bonuses.upperBound)")
        }
        return points
    }

    static func multiplier(_ factor: Double?) throws -> Double {
        // In hundredths, as stored: 1.000000001 has "2 decimals" within the tolerance, but is 1.00.
        guard let factor, factor > 1, factor <= 100, let hundredths = scaled(factor, by: 100), hundredths > 100 else {
            throw StoreError(
                .invalid, .invalidMultiplier, "a multiplier effect has a factor above 1, at most 100, with at most 2 decimals")
        }
        return (factor * 100).rounded() / 100
    }

    static func reward(_ sku: String?, field: String) throws -> String {
        guard let sku else { throw StoreError(.invalid, .invalidEffect, "a voucher effect names its reward by SKU") }
        guard SKU.isValid(sku) else { throw StoreError(.invalid, .unknownReward, "\(field): no reward has the SKU \(sku)") }
        return sku
    }

    static func prizes(_ prizes: [CampaignPrize]?) throws -> [CampaignDefinition.Prize] {
        guard let prizes, (1...maxPrizes).contains(prizes.count) else {
            throw StoreError(.invalid, .invalidPrize, "a draw has 1 to \(maxPrizes) prizes")
        }
        var checked: [CampaignDefinition.Prize] = []
        for (index, prize) in prizes.enumerated() {
            let field = "prizes.\(index)"
            guard let key = prize.key, key.wholeMatch(of: /[a-z0-9][a-z0-9_-]{0,31}/) != nil else {
                throw StoreError(
                    .invalid, .invalidPrize, "\(field).key is 1 to 32 lower-case letters, digits, _ or -, starting with a letter or digit")
            }
            guard !checked.contains(where: { $0.key == key }) else {
                throw StoreError(.invalid, .duplicatePrizeKey, "two prizes have the key \(key)")
            }
            let name = try name(prize.name, field: "\(field).name")
            guard (prize.points == nil) != (prize.reward == nil) else {
                throw StoreError(.invalid, .invalidPrize, "\(field) has points or a reward, not both")
            }
            if let points = prize.points, !bonuses.contains(points) {
                throw StoreError(.invalid, .invalidPrize, "\(field).points is 1 to \(bonuses.upperBound)")
            }
            let reward = try prize.reward.map { try self.reward($0, field: "\(field).reward") }
            // In millionths, as stored: 5e-324 is above 0, but 0 millionths.
            guard let probability = prize.probability, probability > 0, probability <= 1, let ppm = scaled(probability, by: 1_000_000),
                ppm >= 1
            else {
                throw StoreError(
                    .invalid, .invalidProbability, "\(field).probability is above 0, at most 1, with at most 6 decimals (0.000001)")
            }
            guard let stock = prize.stock, stocks.contains(stock) else {
                throw StoreError(.invalid, .invalidPrizeStock, "\(field) needs a stock, 1 to \(stocks.upperBound)")
            }
            checked.append(
                CampaignDefinition.Prize(
                    key: key, nameZh: name.zh, nameEn: name.en, points: prize.points, rewardSKU: reward, probabilityPPM: ppm, stock: stock))
        }
        guard checked.reduce(0, { $0 + $1.probabilityPPM }) <= 1_000_000 else {
            throw StoreError(.invalid, .probabilitiesOverOne, "the prizes' probabilities add up to more than 1")
        }
        return checked
    }

    static func budget(_ figure: Int64?, field: String) throws -> Int64? {
        if let figure, !budgets.contains(figure) {
            throw StoreError(.invalid, .invalidBudget, "\(field) is 1 to \(budgets.upperBound); leave it out for no limit")
        }
        return figure
    }

    static func limit(_ limit: Int?, field: String) throws -> Int? {
        if let limit, !counts.contains(limit) {
            throw StoreError(.invalid, .invalidLimits, "limits.\(field) is 1 to \(counts.upperBound); leave it out for no limit")
        }
        return limit
    }

    /// `value × factor` as a whole number, if it is one (within a rounding error of the JSON
    /// number's binary form); nil when `value` has more decimals than `factor` allows.
    static func scaled(_ value: Double, by factor: Double) -> Int? {
        let scaled = value * factor
        let whole = scaled.rounded()
        guard abs(scaled - whole) <= 1e-6, whole.magnitude < 1e15 else { return nil }
        return Int(whole)
    }

    /// A condition list: 1 to `most` entries, none twice.
    private static func list<T: Hashable>(_ items: [T], field: String, most: Int) throws {
        guard (1...most).contains(items.count), Set(items).count == items.count else {
            throw StoreError(
                .invalid, .invalidCondition, "\(field) lists 1 to \(most) distinct entries; leave it out for no condition on it")
        }
    }
}
