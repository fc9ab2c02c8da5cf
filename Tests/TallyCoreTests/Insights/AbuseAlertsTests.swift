import Crypto
import Foundation
import Logging
import PostgresNIO
import TallyCodes
import TallyTestSupport
import Testing

@testable import TallyCore

/// The console's abuse alerts against rows written as the server writes them (ScanStore for
/// scans, ClaimStore for claims, OTPStore for sign-in codes), each counted by hand.
@Suite("Abuse alerts")
struct AbuseAlertsTests {
    let logger = TestDatabase.logger

    /// 2026-03-01 10:00:00 UTC, and `seconds` after it.
    static let ten = RFC3339.date(from: "2026-03-01T10:00:00Z")!
    static func at(_ seconds: Double) -> Date { ten.addingTimeInterval(seconds) }

    private func scans(_ client: PostgresClient, _ scans: [Scan]) async throws {
        try await ScanStore(database: client, logger: logger).insert(scans)
    }

    private func scan(
        _ result: String, ip: String?, at seconds: Double, input: String? = nil, serial: Int64? = nil, member: UUID? = nil,
        agent: String? = "ua"
    ) -> Scan {
        var scan = Scan(
            result: result, kid: serial == nil ? nil : 1, serial: serial, input: input, member: member, ip: ip, userAgent: agent)
        scan.at = Self.at(seconds)
        return scan
    }

    private func member(_ client: PostgresClient, _ name: String) async throws -> UUID {
        try await MemberStore(database: client, logger: logger).findOrCreate(Identity(channel: "wechat_unionid", externalId: name))
    }

    // MARK: Forged scans

    /// Forged scans around 10:00–12:00, with scans of other results and outside the window.
    private func forgedScans(_ client: PostgresClient) async throws {
        try await scans(
            client,
            [
                scan("forged", ip: "203.0.113.9", at: 5 * 60, input: "F1", agent: "ua1"),
                scan("forged", ip: "203.0.113.9", at: 20 * 60, input: "F2", agent: "ua2"),
                scan("forged", ip: "203.0.113.9", at: 3599, input: "F1", agent: "ua1"),
                scan("forged", ip: "203.0.113.9", at: 3600, input: "F3", agent: "ua1"),
                scan("forged", ip: "203.0.113.77", at: 30 * 60, input: "G1"),
                scan("forged", ip: "203.0.113.77", at: 31 * 60, input: "G1"),
                scan("forged", ip: "2001:db8::1", at: 10 * 60, input: "H1"),
                scan("forged", ip: "2001:db8::2", at: 10 * 60, input: "H2"),
                scan("forged", ip: nil, at: 40 * 60, input: "N1", agent: nil),
                // Not forged, or outside 10:00–12:00: left out.
                scan("typo", ip: "203.0.113.9", at: 10 * 60, input: "T1"),
                scan("valid", ip: "203.0.113.9", at: 10 * 60, serial: 5),
                scan("forged", ip: "203.0.113.9", at: -1, input: "EARLY"),
                scan("forged", ip: "203.0.113.9", at: 2 * 3600, input: "LATE"),
            ])
    }

    @Test("forged scans by address and hour, counted by hand; the window's edges; thresholds and limit")
    func forgedByAddress() async throws {
        try await TestDatabase.withFresh { client, _ async throws in
            try await forgedScans(client)
            let alerts = AbuseAlerts(database: client, logger: logger)
            let window = (from: Self.at(0), to: Self.at(2 * 3600))
            let rows = try await alerts.forgedScans(from: window.from, to: window.to)
            #expect(rows.map(\.address) == ["203.0.113.9", "203.0.113.77", "203.0.113.9", "2001:db8::1", "2001:db8::2", nil])
            #expect(rows.map(\.hour) == [Self.at(0), Self.at(0), Self.at(3600), Self.at(0), Self.at(0), Self.at(0)])
            #expect(rows.map(\.scans) == [3, 2, 1, 1, 1, 1])
            let first = try #require(rows.first)
            #expect(first.firstAt == Self.at(5 * 60) && first.lastAt == Self.at(3599))
            #expect(first.addresses == 1 && first.userAgents == 2)
            #expect(first.sampleInputs == ["F1", "F2"] && first.sampleUserAgents == ["ua1", "ua2"])
            #expect(rows.last?.sampleUserAgents == [] && rows.last?.userAgents == 0 && rows.last?.addresses == 0)

            #expect(try await alerts.forgedScans(from: window.from, to: window.to, minScans: 2).map(\.scans) == [3, 2])
            #expect(try await alerts.forgedScans(from: window.from, to: window.to, limit: 1).map(\.scans) == [3])
            // The edges: from is included, to is not.
            let edges = try await alerts.forgedScans(from: Self.at(-1), to: Self.at(5 * 60))
            #expect(edges.map(\.sampleInputs) == [["EARLY"]])
            #expect(try await alerts.forgedScans(from: Self.at(2 * 3600 + 1), to: Self.at(3 * 3600)).isEmpty)
        }
    }

    @Test("forged scans by /24 and /64 network")
    func forgedByNetwork() async throws {
        try await TestDatabase.withFresh { client, _ async throws in
            try await forgedScans(client)
            let alerts = AbuseAlerts(database: client, logger: logger)
            let rows = try await alerts.forgedScans(from: Self.at(0), to: Self.at(2 * 3600), by: .network)
            #expect(rows.map(\.address) == ["203.0.113.0/24", "2001:db8::/64", "203.0.113.0/24", nil])
            #expect(rows.map(\.scans) == [5, 2, 1, 1])
            #expect(rows.map(\.addresses) == [2, 2, 1, 0])
            #expect(rows.first?.sampleInputs == ["F1", "F2", "G1"], "three at most, in text order")
        }
    }

    // MARK: Copied codes

    @Test("claimed codes scanned by many others: scanners counted by hand, the claimant's own scans left out")
    func copiedCodes() async throws {
        try await TestDatabase.withFresh { client, _ async throws in
            _ = try await ProductStore(database: client, logger: logger).create(
                ProductFields(sku: "RICE-5KG", name: "Rice 5 kg", defaultPoints: 10))
            let batches = BatchStore(database: client, logger: logger)
            let batch = try await batches.create(NewBatch(sku: "RICE-5KG", quantity: 10, lot: "L42"), kid: 1, actor: "test")
            _ = try await batches.changeState(batchID: batch.id, to: .active, from: nil, count: nil, reason: nil, actor: "test")
            let (m1, m2, m3) = (try await member(client, "m1"), try await member(client, "m2"), try await member(client, "m3"))
            let claims = ClaimStore(database: client, logger: logger)
            for (sequence, claimant) in [(0, m1), (1, m1), (2, m2)] {
                let code = Code(kid: 1, serial: UInt64(batch.firstSerial + Int64(sequence)), tag: 0)
                let outcome = try await claims.claim(code, for: claimant, context: ClaimContext(channel: "web"))
                guard case .claimed = outcome else { throw StoreError(.conflict, .claimFailed, "not claimed: \(outcome)") }
            }
            // After the claims (claimed now), so a few seconds from now (whole seconds: stored in microseconds).
            let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.up))
            func later(_ result: String, _ sequence: Int64, ip: String, member: UUID? = nil, agent: String = "ua", at seconds: Double)
                -> Scan
            {
                var scan = Scan(result: result, kid: 1, serial: batch.firstSerial + sequence, member: member, ip: ip, userAgent: agent)
                scan.at = now.addingTimeInterval(seconds)
                return scan
            }
            try await scans(
                client,
                [
                    // Code 0: m2 and m3 signed in, and signed out two browsers at one address (one of them twice): 4 scanners.
                    later("claimed_by_other", 0, ip: "198.51.100.1", member: m2, at: 10),
                    later("claimed_by_other", 0, ip: "198.51.100.2", member: m3, at: 20),
                    later("claimed_by_other", 0, ip: "198.51.100.3", agent: "u1", at: 30),
                    later("claimed_by_other", 0, ip: "198.51.100.3", agent: "u1", at: 40),
                    later("claimed_by_other", 0, ip: "198.51.100.3", agent: "u2", at: 50),
                    // The claimant, signed in: not another person.
                    later("claimed_by_self", 0, ip: "198.51.100.9", member: m1, at: 60),
                    later("claimed_by_self", 0, ip: "198.51.100.9", member: m1, at: 70),
                    // Code 1: 2 scanners.
                    later("claimed_by_other", 1, ip: "198.51.100.1", member: m2, at: 10),
                    later("claimed_by_other", 1, ip: "198.51.100.4", at: 15),
                    // Code 2: 3 scanners, one of them before the window.
                    later("claimed_by_other", 2, ip: "198.51.100.5", at: -3600),
                    later("claimed_by_other", 2, ip: "198.51.100.6", at: 10),
                    later("claimed_by_other", 2, ip: "198.51.100.7", at: 20),
                ])
            let alerts = AbuseAlerts(database: client, logger: logger)
            let from = now.addingTimeInterval(-60)
            let to = now.addingTimeInterval(3600)
            let rows = try await alerts.copiedCodes(from: from, to: to)
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            #expect(row.kid == 1 && row.serial == batch.firstSerial)
            #expect(row.sku == "RICE-5KG" && row.productName == "Rice 5 kg" && row.batchID == batch.id && row.lot == "L42")
            #expect(row.claimedBy == m1 && row.channel == "web" && abs(row.claimedAt.timeIntervalSince(now)) < 60)
            #expect(row.scanners == 4 && row.members == 2 && row.addresses == 3 && row.scans == 5)
            #expect(row.lastScanAt == now.addingTimeInterval(50))

            let two = try await alerts.copiedCodes(from: from, to: to, minScanners: 2)
            #expect(two.map(\.serial) == [0, 2, 1].map { batch.firstSerial + $0 }, "most scanners first, then the latest scan")
            #expect(two.map(\.scanners) == [4, 2, 2])
            #expect(two.map(\.claimedBy) == [m1, m2, m1])
            // Code 2's early scan counts when the window holds it.
            let wider = try await alerts.copiedCodes(from: now.addingTimeInterval(-7200), to: to)
            #expect(wider.map(\.serial) == [0, 2].map { batch.firstSerial + $0 })
            #expect(try await alerts.copiedCodes(from: from, to: to, limit: 1).count == 1)
            #expect(try await alerts.copiedCodes(from: to, to: to.addingTimeInterval(60), minScanners: 2).isEmpty)
        }
    }

    // MARK: Bursts

    @Test("bursts from one address: each burst once, at its busiest stretch; claims only; the window's edge")
    func bursts() async throws {
        try await TestDatabase.withFresh { client, _ async throws in
            let m1 = try await member(client, "m1")
            let p = "192.0.2.10"
            try await scans(
                client,
                [
                    // P: 5 within 4 minutes (two codes, two forged inputs, one member, two claims) …
                    scan("valid", ip: p, at: 0, serial: 10, agent: "bot"),
                    scan("claimed", ip: p, at: 60, serial: 10, member: m1, agent: "bot"),
                    scan("claimed", ip: p, at: 120, serial: 11, member: m1, agent: "bot"),
                    scan("forged", ip: p, at: 180, input: "X1", agent: "curl"),
                    scan("forged", ip: p, at: 240, input: "X2", agent: "curl"),
                    // … and, an hour later, 4 more within a minute.
                    scan("forged", ip: p, at: 3600, input: "Y1"),
                    scan("forged", ip: p, at: 3620, input: "Y2"),
                    scan("forged", ip: p, at: 3640, input: "Y3"),
                    scan("forged", ip: p, at: 3660, input: "Y4"),
                    // Q: 4, two minutes apart: 3 in any 5 minutes, 4 within 6.
                    scan("valid", ip: "192.0.2.20", at: 0, serial: 20),
                    scan("valid", ip: "192.0.2.20", at: 120, serial: 20),
                    scan("valid", ip: "192.0.2.20", at: 240, serial: 20),
                    scan("valid", ip: "192.0.2.20", at: 360, serial: 20),
                    // R1 and R2: 2 each, in one /24.
                    scan("typo", ip: "198.51.100.1", at: 0, input: "Z1"),
                    scan("typo", ip: "198.51.100.1", at: 10, input: "Z1"),
                    scan("typo", ip: "198.51.100.2", at: 20, input: "Z2"),
                    scan("typo", ip: "198.51.100.2", at: 30, input: "Z3"),
                    // No address: never a burst.
                    scan("typo", ip: nil, at: 0, input: "Z"), scan("typo", ip: nil, at: 1, input: "Z"),
                    scan("typo", ip: nil, at: 2, input: "Z"), scan("typo", ip: nil, at: 3, input: "Z"),
                ])
            let alerts = AbuseAlerts(database: client, logger: logger)
            let (from, to) = (Self.at(0), Self.at(2 * 3600))
            let rows = try await alerts.bursts(from: from, to: to, minCount: 4, minutes: 5)
            #expect(rows.map(\.address) == [p, p])
            #expect(rows.map(\.start) == [Self.at(0), Self.at(3600)])
            #expect(rows.map(\.end) == [Self.at(240), Self.at(3660)])
            #expect(rows.map(\.count) == [5, 4])
            #expect(rows.map(\.claims) == [2, 0])
            #expect(rows.map(\.codes) == [4, 4])
            #expect(rows.map(\.members) == [1, 0])
            #expect(rows.first?.sampleUserAgents == ["bot", "curl"])

            let six = try await alerts.bursts(from: from, to: to, minCount: 4, minutes: 6)
            #expect(six.map(\.address) == [p, p, "192.0.2.20"] && six.map(\.count) == [5, 4, 4])
            #expect(six.last?.codes == 1)
            let claims = try await alerts.bursts(from: from, to: to, counting: .claims, minCount: 2, minutes: 5)
            #expect(claims.map(\.address) == [p] && claims.map(\.count) == [2] && claims.first?.start == Self.at(60))
            let networks = try await alerts.bursts(from: from, to: to, by: .network, minCount: 4, minutes: 1)
            #expect(networks.map(\.address) == ["192.0.2.0/24", "198.51.100.0/24"])
            #expect(networks.map(\.count) == [4, 4] && networks.map(\.start) == [Self.at(3600), Self.at(0)])
            // The window's end is not in it: P's second burst is 3 scans then.
            #expect(try await alerts.bursts(from: from, to: Self.at(3660), minCount: 4, minutes: 5).map(\.start) == [Self.at(0)])
            #expect(try await alerts.bursts(from: from, to: to, minCount: 4, minutes: 5, limit: 1).map(\.count) == [5])
            #expect(try await alerts.bursts(from: from, to: to, minCount: 6, minutes: 5).isEmpty)
        }
    }

    // MARK: Sign-in codes

    @Test("sign-in codes for many phones from one address, masked; the window's edges")
    func signInCodes() async throws {
        try await TestDatabase.withFresh { client, _ async throws in
            let otp = OTPStore(database: client, logger: logger, secret: SymmetricKey(size: .bits256))
            let a = "203.0.113.50"
            for n in 1...5 {
                _ = try await otp.issue(phone: try PhoneNumber("1380013800\(n)"), ip: a)
            }
            // A second code for one phone (its first moved a few minutes back, past the resend interval).
            try await client.query(
                "UPDATE otp_challenges SET created_at = created_at - interval '5 minutes' WHERE phone = '+8613800138001'", logger: logger)
            _ = try await otp.issue(phone: try PhoneNumber("13800138001"), ip: a)
            _ = try await otp.issue(phone: try PhoneNumber("+44 7700 900123"), ip: "203.0.113.51")
            _ = try await otp.issue(phone: try PhoneNumber("13900139000"), ip: "203.0.113.51")
            _ = try await otp.issue(phone: try PhoneNumber("13700137000"), ip: nil)

            let alerts = AbuseAlerts(database: client, logger: logger)
            let rows = try await alerts.signInCodes()
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            #expect(row.address == a && row.phones == 5 && row.codes == 6)
            #expect(row.maskedPhones == (1...5).map { "138****800\($0)" })
            #expect(row.lastAt.timeIntervalSince(row.firstAt) >= 299)

            let two = try await alerts.signInCodes(minPhones: 2)
            #expect(two.map(\.address) == [a, "203.0.113.51"] && two.map(\.phones) == [5, 2])
            #expect(two.last?.maskedPhones == ["+44******0123", "139****9000"])
            let network = try await alerts.signInCodes(by: .network, minPhones: 2)
            #expect(network.map(\.address) == ["203.0.113.0/24"] && network.map(\.phones) == [7] && network.map(\.codes) == [8])

            // The window: from is included, to is not.
            let first = row.firstAt
            #expect(try await alerts.signInCodes(from: first, to: first.addingTimeInterval(1), minPhones: 2).isEmpty)
            let fromFirst = try await alerts.signInCodes(from: first, minPhones: 5)
            #expect(fromFirst.map(\.codes) == [6])
            let afterFirst = try await alerts.signInCodes(from: first.addingTimeInterval(0.001), minPhones: 5)
            #expect(afterFirst.map(\.codes) == [5])
            #expect(
                try await alerts.signInCodes(from: Date().addingTimeInterval(-86_400 * 30), to: Date().addingTimeInterval(-86_400)).isEmpty)
        }
    }

    // MARK: Refusals

    @Test("nothing recorded: every alert is empty")
    func empty() async throws {
        try await TestDatabase.withFresh { client, _ async throws in
            let alerts = AbuseAlerts(database: client, logger: logger)
            #expect(try await alerts.forgedScans().isEmpty)
            #expect(try await alerts.copiedCodes().isEmpty)
            #expect(try await alerts.bursts().isEmpty)
            #expect(try await alerts.signInCodes().isEmpty)
        }
    }

    @Test("a window from after to, empty or too long, a limit or threshold out of range: each refused with its code")
    func refusals() async throws {
        try await TestDatabase.withFresh { client, _ async throws in
            let alerts = AbuseAlerts(database: client, logger: logger)
            let now = Date()
            let day = 86_400.0
            func refused(_ code: ErrorCode, _ body: () async throws -> Void) async {
                do {
                    try await body()
                    Issue.record("not refused: expected \(code)")
                } catch let error as StoreError {
                    #expect(error.code == code && error.kind == .invalid, "\(error)")
                    #expect(!error.message.isEmpty)
                } catch {
                    Issue.record("unexpected \(error)")
                }
            }
            await refused(.invalidAlertWindow) { _ = try await alerts.forgedScans(from: now, to: now.addingTimeInterval(-1)) }
            await refused(.invalidAlertWindow) { _ = try await alerts.copiedCodes(from: now, to: now) }
            await refused(.invalidAlertWindow) { _ = try await alerts.bursts(from: now.addingTimeInterval(-93 * day), to: now) }
            await refused(.invalidAlertWindow) { _ = try await alerts.signInCodes(from: now.addingTimeInterval(60)) }
            await refused(.invalidAlertWindow) { _ = try await alerts.signInCodes(from: now.addingTimeInterval(-100 * day)) }
            #expect(try await alerts.bursts(from: now.addingTimeInterval(-92 * day), to: now).isEmpty, "92 days is allowed")
            #expect(try await alerts.forgedScans(to: now.addingTimeInterval(-400 * day)).isEmpty, "7 days before to")

            for limit in [0, -1, 1001] {
                await refused(.invalidLimit) { _ = try await alerts.forgedScans(limit: limit) }
                await refused(.invalidLimit) { _ = try await alerts.copiedCodes(limit: limit) }
                await refused(.invalidLimit) { _ = try await alerts.bursts(limit: limit) }
                await refused(.invalidLimit) { _ = try await alerts.signInCodes(limit: limit) }
            }
            #expect(try await alerts.forgedScans(limit: 1000).isEmpty)
            await refused(.invalidAlertThreshold) { _ = try await alerts.forgedScans(minScans: 0) }
            await refused(.invalidAlertThreshold) { _ = try await alerts.copiedCodes(minScanners: 1) }
            await refused(.invalidAlertThreshold) { _ = try await alerts.bursts(minCount: 1) }
            await refused(.invalidAlertThreshold) { _ = try await alerts.bursts(minutes: 0) }
            await refused(.invalidAlertThreshold) { _ = try await alerts.bursts(minutes: 1441) }
            await refused(.invalidAlertThreshold) { _ = try await alerts.signInCodes(minPhones: 1) }
            await refused(.invalidAlertThreshold) { _ = try await alerts.signInCodes(minPhones: 10_001) }
        }
    }
}
