import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import TallyCore
import TallyTestSupport
import Testing

/// What the campaign report, backtest and draw tests share.
extension TestApp {
    /// A campaign from `fixture` (see `CampaignFixture`), and its id.
    func campaign(_ fixture: CampaignFixture) async throws -> Int64 {
        try await fixture.insert(into: database)
    }

    /// One text value from SQL, e.g. a local date.
    func text(_ statement: String) async throws -> String {
        let rows = try await database.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger)
        for try await value in rows.decode(String.self) { return value }
        return ""
    }

    /// Today in Shanghai, or `interval` ago (SQL), as `YYYY-MM-DD`.
    func shanghaiDay(ago interval: String = "0 seconds") async throws -> String {
        try await text("SELECT to_char((now() - interval '\(interval)') AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')")
    }

    /// Asserts that `send` is refused with `status` and `code`, and changes nothing at all.
    func expectRefusal(
        _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation, _ send: () async throws -> TestResponse
    ) async throws {
        let before = try await databaseDigest()
        let response = try await send()
        #expect(Int(response.status.code) == status, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        #expect(try errorCode(response) == code, sourceLocation: sourceLocation)
        #expect(try await databaseDigest() == before, sourceLocation: sourceLocation)
    }
}
