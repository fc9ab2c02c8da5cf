import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCore
import TallyTestSupport
import Testing

/// A campaign's lifecycle over real HTTP: every step and every wrong one, the change log, and
/// what is published of the draw's secret.
@Suite("Campaign lifecycle over real HTTP", .serialized)
struct CampaignLifecycleTests {
    @Test("schedule, pause, resume and end; the status follows the window")
    func steps() async throws {
        try await TestApp.run { app in
            let live = try await app.createCampaign()
            let scheduled = try decode(Campaign.self, try await app.step(live.id, "schedule"))
            #expect(scheduled.status == .live && scheduled.version == 1)
            let paused = try decode(Campaign.self, try await app.step(live.id, "pause"))
            #expect(paused.status == .paused)
            let resumed = try decode(Campaign.self, try await app.step(live.id, "resume"))
            #expect(resumed.status == .live)
            let ended = try decode(Campaign.self, try await app.step(live.id, "end"))
            #expect(ended.status == .ended && ended.endedAt != nil)

            let future = try await app.createCampaign(TestApp.campaignBody(starts: "2098-01-01T00:00:00Z"))
            #expect(try decode(Campaign.self, try await app.step(future.id, "schedule")).status == .scheduled)
            #expect(try decode(Campaign.self, try await app.step(future.id, "pause")).status == .paused)
            #expect(try decode(Campaign.self, try await app.step(future.id, "resume")).status == .scheduled)
            #expect(try decode(Campaign.self, try await app.step(future.id, "end")).status == .ended)

            // A draft may be ended, to retire it.
            let draft = try await app.createCampaign()
            #expect(try decode(Campaign.self, try await app.step(draft.id, "end")).status == .ended)

            let state = try await app.database.query(
                "SELECT array_agg(state ORDER BY id), count(ended_at)::int FROM campaigns", logger: TestDatabase.logger)
            for try await (states, endedAt) in state.decode(([String], Int).self) {
                #expect(states == ["ended", "ended", "ended"] && endedAt == 3)
            }
            let missing = try await app.step(999, "pause")
            #expect(try missing.status == .notFound && (errorCode(missing)) == "campaign_not_found")
        }
    }

    @Test("every wrong step is a 422 invalid_transition and changes nothing; a window already over cannot be scheduled")
    func wrongSteps() async throws {
        try await TestApp.run { app in
            let draft = try await app.createCampaign()
            let live = try await app.createCampaign()
            #expect(try await app.step(live.id, "schedule").status == .ok)
            let paused = try await app.createCampaign()
            #expect(try await app.step(paused.id, "schedule").status == .ok)
            #expect(try await app.step(paused.id, "pause").status == .ok)
            let ended = try await app.createCampaign()
            #expect(try await app.step(ended.id, "end").status == .ok)
            let pastWindow = try await app.createCampaign()
            #expect(try await app.step(pastWindow.id, "schedule").status == .ok)
            #expect(try await app.step(pastWindow.id, "pause").status == .ok)
            try await app.sql(
                "UPDATE campaign_versions SET ends_at = now() - interval '1 day', starts_at = '2019-01-01' WHERE campaign_id = \(pastWindow.id)"
            )
            let over = try await app.createCampaign(TestApp.campaignBody(starts: "2020-01-01T00:00:00Z", ends: "2021-01-01T00:00:00Z"))

            let wrong: [(Int64, String, String)] = [
                (draft.id, "pause", "invalid_transition"), (draft.id, "resume", "invalid_transition"),
                (live.id, "schedule", "invalid_transition"), (live.id, "resume", "invalid_transition"),
                (paused.id, "schedule", "invalid_transition"), (paused.id, "pause", "invalid_transition"),
                (ended.id, "schedule", "invalid_transition"), (ended.id, "pause", "invalid_transition"),
                (ended.id, "resume", "invalid_transition"), (ended.id, "end", "invalid_transition"),
                // Paused past its window: it shows ended, and ended is final.
                (pastWindow.id, "resume", "invalid_transition"), (pastWindow.id, "end", "invalid_transition"),
                (over.id, "schedule", "window_passed"),
            ]
            let before = try await app.databaseDigest()
            for (id, step, code) in wrong {
                let response = try await app.step(id, step)
                #expect(response.status == .unprocessableContent, "\(step) \(id): \(String(buffer: response.body))")
                #expect(try errorCode(response) == code, "\(step) \(id)")
            }
            #expect(try await app.databaseDigest() == before)
            #expect(try await app.campaign(pastWindow.id).status == .ended)
        }
    }

    @Test("every change writes a change-log row: who, when, what, the campaign before and after")
    func changeLog() async throws {
        try await TestApp.run { app in
            let created = try await app.createCampaign()
            let changed = try decode(Campaign.self, try await app.patchCampaign(created.id, #"{"priority": 9}"#))
            let scheduled = try decode(Campaign.self, try await app.step(created.id, "schedule"))
            let paused = try decode(Campaign.self, try await app.step(created.id, "pause"))
            let resumed = try decode(Campaign.self, try await app.step(created.id, "resume"))
            let ended = try decode(Campaign.self, try await app.step(created.id, "end"))
            // A refused change is not logged.
            #expect(try await app.patchCampaign(created.id, #"{"priority": 1}"#).status == .unprocessableContent)

            let log = try await app.campaignChanges(created.id)
            #expect(log.map(\.action) == [.ended, .resumed, .paused, .scheduled, .updated, .created])
            #expect(log.map(\.version) == [2, 2, 2, 2, 2, 1])
            #expect(log.allSatisfy { $0.actor == app.campaignsActor })
            #expect(log.map(\.after) == [ended, resumed, paused, scheduled, changed, created])
            #expect(log.map(\.before) == [resumed, paused, scheduled, changed, created, nil])
            #expect(log.allSatisfy { abs($0.changedAt.timeIntervalSinceNow) < 60 })
            #expect(log[4].before?.priority == 0 && log[4].after.priority == 9)

            let page = try decode(
                CampaignPageBody<CampaignChange>.self,
                try await app.request(.get, "/api/v1/campaigns/\(created.id)/changes?limit=2", as: .campaigns))
            #expect(page.items.map(\.action) == [.ended, .resumed] && page.nextCursor == String(log[1].id))
            let missing = try await app.request(.get, "/api/v1/campaigns/999/changes", as: .campaigns)
            #expect(try missing.status == .notFound && (errorCode(missing)) == "campaign_not_found")
        }
    }

    @Test("the secret's hash is published once scheduled, the secret only once ended, and sha256(secret) is the hash")
    func secret() async throws {
        try await TestApp.run { app in
            let created = try await app.createCampaign()
            #expect(created.draw == nil)
            let scheduled = try decode(Campaign.self, try await app.step(created.id, "schedule"))
            let hash = try #require(scheduled.draw?.secretSha256)
            #expect(scheduled.draw?.secret == nil && hash.count == 64)
            let paused = try decode(Campaign.self, try await app.step(created.id, "pause"))
            #expect(paused.draw == CampaignDraw(secretSha256: hash, secret: nil))
            let ended = try decode(Campaign.self, try await app.step(created.id, "end"))
            let secret = try #require(ended.draw?.secret)
            #expect(ended.draw?.secretSha256 == hash)
            let bytes = try #require(Self.bytes(hex: secret))
            #expect(bytes.count == 32)
            #expect(SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() == hash)

            // Two campaigns never share a secret.
            let other = try await app.createCampaign()
            let otherEnded = try decode(Campaign.self, try await app.step(other.id, "end"))
            #expect(otherEnded.draw?.secret != secret)
            // A campaign whose window passed shows ended, and so its secret.
            let lapsed = try await app.createCampaign()
            _ = try await app.step(lapsed.id, "schedule")
            #expect(try await app.campaign(lapsed.id).draw?.secret == nil)
            try await app.sql(
                "UPDATE campaign_versions SET ends_at = now() - interval '1 second', starts_at = '2019-01-01' WHERE campaign_id = \(lapsed.id)"
            )
            #expect(try await app.campaign(lapsed.id).draw?.secret != nil)
        }
    }

    static func bytes(hex: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) ?? hex.endIndex
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
