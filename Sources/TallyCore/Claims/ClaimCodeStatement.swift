import Foundation
import PostgresNIO

/// A landing-page claim (`claim_code`) as a prepared statement: PostgreSQL plans it once a
/// connection instead of on every claim.
struct ClaimCodeStatement: PostgresPreparedStatement {
    // A fixed name: the default, String(reflecting:), is computed again on every call.
    static let name = "tally_claim_code"
    static let sql = """
        SELECT outcome, points, balance, claimed_by, claimed_at, awards::text FROM claim_code(
            $1, $2, $3, $4, $5::int, $6, $7::inet, $8, $9, $10, $11, $12)
        """
    // The types Swift sends, so that a first call with NULLs prepares the same statement.
    static let bindingDataTypes: [PostgresDataType] = [
        .int2, .int8, .uuid, .text, .int8, .text, .text, .text, .float8, .float8, .float4, .text,
    ]
    typealias Row = (String, Int?, Int64?, UUID?, Date?, String?)

    var kid: Int16
    var serial: Int64
    var member: UUID
    var context: ClaimContext
    var dailyCap: Int
    var timeZone: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 12)
        bindings.append(kid)
        bindings.append(serial)
        bindings.append(member)
        bindings.append(context.channel)
        bindings.append(dailyCap)
        bindings.append(timeZone)
        bindings.append(context.ip)
        bindings.append(context.userAgent)
        bindings.append(context.latitude)
        bindings.append(context.longitude)
        bindings.append(context.accuracy)
        bindings.append(context.device)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
