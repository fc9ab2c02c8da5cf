import Foundation
import TallyCore

/// The campaign editor's fields exactly as typed: what the form shows (empty for a new
/// campaign, the current version for an edit), and what a refused form shows again, so that
/// nothing typed is lost. `input(lang:)` turns them into the API's `CampaignInput`, which the
/// store checks; the form only reads numbers and dates, every rule is the store's.
struct CampaignFormValues: Sendable, Equatable {
    /// One row of a draw's prize table; a row left empty is no prize.
    struct Prize: Sendable, Equatable {
        var key = ""
        var nameZh = ""
        var nameEn = ""
        var points = ""
        var reward = ""
        var probability = ""
        var stock = ""

        var isEmpty: Bool { [key, nameZh, nameEn, points, reward, probability, stock].allSatisfy(\.isEmpty) }
    }

    /// Empty prize rows the form shows after the filled ones (the form works without script).
    static let emptyPrizeRows = 3
    /// Prize rows a posted form is read for (the store allows 50 prizes; script may add rows).
    static let maxPrizeRows = 60

    var nameZh = ""
    var nameEn = ""
    var startsAt = ""
    var endsAt = ""
    var timeZone = ""
    var priority = "0"
    var exclusive = false

    var skus = ""
    var batches = ""
    var regions = ""
    var channels = ""
    var weekdays: Set<Int> = []
    var hourFrom = ""
    var hourTo = ""
    var tiers = ""
    var segment = ""
    var lapsedDays = ""
    var nthN = ""
    var nthEvery = false
    var nthWithin = "overall"
    var firstClaimOfProduct = false
    var awardsPerMember = ""

    var effect = "bonus"
    var bonusPoints = ""
    var factor = ""
    var voucherReward = ""
    var prizes: [Prize] = []

    var budgetPoints = ""
    var budgetAwards = ""
    var memberPointsPerDay = ""
    var memberPointsPerWeek = ""
    var memberPoints = ""
    var whenExhausted = "stop"

    var limitPhone = ""
    var limitDevice = ""
    var limitIP = ""

    /// A new campaign's form: the programme's time zone.
    init(timeZone: String) {
        self.timeZone = timeZone
    }

    /// The form of `campaign`'s current version.
    init(_ campaign: Campaign) {
        nameZh = campaign.name.zh ?? ""
        nameEn = campaign.name.en ?? ""
        timeZone = campaign.timeZone
        let zone = TimeZone(identifier: campaign.timeZone) ?? .gmt
        startsAt = Self.localTime(campaign.startsAt, in: zone)
        endsAt = Self.localTime(campaign.endsAt, in: zone)
        priority = String(campaign.priority)
        exclusive = campaign.exclusive

        let conditions = campaign.conditions
        skus = Self.list(conditions.skus)
        batches = Self.list(conditions.batches?.map(String.init))
        regions = Self.list(conditions.regions)
        channels = Self.list(conditions.channels)
        weekdays = Set(conditions.weekdays ?? [])
        hourFrom = conditions.hours?.from.map(String.init) ?? ""
        hourTo = conditions.hours?.to.map(String.init) ?? ""
        tiers = Self.list(conditions.tiers)
        segment = conditions.segment ?? ""
        lapsedDays = conditions.lapsedDays.map(String.init) ?? ""
        nthN = conditions.nthClaim?.n.map(String.init) ?? ""
        nthEvery = conditions.nthClaim?.every ?? false
        nthWithin = conditions.nthClaim?.within ?? "overall"
        firstClaimOfProduct = conditions.firstClaimOfProduct ?? false
        awardsPerMember = conditions.awardsPerMember.map(String.init) ?? ""

        let effect = campaign.effect
        self.effect = effect.type ?? "bonus"
        bonusPoints = effect.points.map(String.init) ?? ""
        factor = effect.factor.map { Self.decimal($0, places: 2) } ?? ""
        voucherReward = effect.reward ?? ""
        prizes = (effect.prizes ?? []).map { prize in
            Prize(
                key: prize.key ?? "", nameZh: prize.name?.zh ?? "", nameEn: prize.name?.en ?? "",
                points: prize.points.map(String.init) ?? "", reward: prize.reward ?? "",
                probability: prize.probability.map { Self.decimal($0, places: 6) } ?? "", stock: prize.stock.map(String.init) ?? "")
        }

        let budget = campaign.budget
        budgetPoints = budget.points.map(String.init) ?? ""
        budgetAwards = budget.awards.map(String.init) ?? ""
        memberPointsPerDay = budget.memberPointsPerDay.map(String.init) ?? ""
        memberPointsPerWeek = budget.memberPointsPerWeek.map(String.init) ?? ""
        memberPoints = budget.memberPoints.map(String.init) ?? ""
        whenExhausted = budget.whenExhausted ?? "stop"

        limitPhone = campaign.limits.awardsPerPhonePerDay.map(String.init) ?? ""
        limitDevice = campaign.limits.awardsPerDevicePerDay.map(String.init) ?? ""
        limitIP = campaign.limits.awardsPerIpPerDay.map(String.init) ?? ""
    }

    /// The fields of a posted editor form.
    init(_ form: ConsoleFormBody) {
        func text(_ name: String) -> String { form[name] ?? "" }
        nameZh = text("name_zh")
        nameEn = text("name_en")
        startsAt = text("starts_at")
        endsAt = text("ends_at")
        timeZone = text("time_zone")
        priority = text("priority")
        exclusive = form["exclusive"] != nil

        skus = text("skus")
        batches = text("batches")
        regions = text("regions")
        channels = text("channels")
        weekdays = Set((1...7).filter { form["weekday_\($0)"] != nil })
        hourFrom = text("hour_from")
        hourTo = text("hour_to")
        tiers = text("tiers")
        segment = text("segment")
        lapsedDays = text("lapsed_days")
        nthN = text("nth_n")
        nthEvery = form["nth_every"] != nil
        nthWithin = form["nth_within"] ?? "overall"
        firstClaimOfProduct = form["first_claim_of_product"] != nil
        awardsPerMember = text("awards_per_member")

        effect = text("effect")
        bonusPoints = text("bonus_points")
        factor = text("factor")
        voucherReward = text("voucher_reward")
        prizes = (0..<Self.maxPrizeRows).map { index in
            func field(_ name: String) -> String { text("prize_\(index)_\(name)") }
            return Prize(
                key: field("key"), nameZh: field("name_zh"), nameEn: field("name_en"), points: field("points"), reward: field("reward"),
                probability: field("probability"), stock: field("stock"))
        }.filter { !$0.isEmpty }

        budgetPoints = text("budget_points")
        budgetAwards = text("budget_awards")
        memberPointsPerDay = text("member_points_per_day")
        memberPointsPerWeek = text("member_points_per_week")
        memberPoints = text("member_points")
        whenExhausted = form["when_exhausted"] ?? "stop"

        limitPhone = text("limit_phone")
        limitDevice = text("limit_device")
        limitIP = text("limit_ip")
    }

    // MARK: Writing values into the form

    /// `date` as a `datetime-local` input shows it in `zone` (seconds only when there are some).
    static func localTime(_ date: Date, in zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "ss"
        let seconds = formatter.string(from: date)
        formatter.dateFormat = seconds == "00" ? "yyyy-MM-dd'T'HH:mm" : "yyyy-MM-dd'T'HH:mm:ss"
        return formatter.string(from: date)
    }

    /// A decimal with at most `places` places and no trailing zeros (0.05, 2.5, 3).
    static func decimal(_ value: Double, places: Int) -> String {
        var text = String(format: "%.\(places)f", value)
        while text.contains("."), text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func list(_ items: [String]?) -> String {
        (items ?? []).joined(separator: ", ")
    }
}
